/**
 * The SQL parser: node-sql-parser's PostgreSQL grammar (a PEG parser in plain JavaScript, so the
 * same code runs on the server and in a notebook). It is loaded at the first SQL query only, so the
 * protocol module stays light for the extension and for plan-only users.
 *
 * The parser backtracks without memoisation: on some invalid texts (a syntax error deep inside
 * nested parentheses or CASEs) its work grows exponentially with the nesting (8 nested
 * `CASE WHEN (` took 6.7 s). So each parse runs in its own V8 context with a time limit
 * (node:vm's `timeout`, which interrupts synchronous code): a text the parser cannot read within
 * SQL_PARSE_TIMEOUT_MS is refused. The context is not a security boundary (the parser is trusted
 * code); it is only what lets the limit interrupt the parse. The AST crosses back as JSON.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createContext, Script, type Context } from 'node:vm';
import type { Token } from './lexer';
import { sqlFail } from './refusals';
import { type SqlSource } from './source';

/** A node of node-sql-parser's AST, read loosely: compile.ts checks every field it accepts. */
export type AstNode = Record<string, unknown>;

/** Wall-clock limit of one parse; an honest query parses in well under 5 ms. */
export const SQL_PARSE_TIMEOUT_MS = 250;
/** Attempts of a parse that ran out of time while mostly waiting for a core (see astify). */
const SQL_PARSE_ATTEMPTS = 4;

interface LoadedParser {
  context: Context;
  call: Script;
}

let loaded: LoadedParser | undefined;

const WARM_UP =
  "SELECT k, COUNT(*) AS n, AVG(x) FROM df WHERE y IN (1, 2) AND z LIKE 'a%' GROUP BY k";

function load(): LoadedParser {
  if (loaded) return loaded;
  const file = require.resolve('node-sql-parser/build/postgresql');
  const own = createRequire(file);
  const sandbox: Record<string, unknown> = {
    exports: {},
    // The bundle's one dependency, resolved from the parser's own folder.
    require: (name: string) => {
      if (name === 'big-integer') return own('big-integer');
      throw new Error(`the SQL parser asked for ${name}`);
    }
  };
  const context = createContext(sandbox);
  new Script(readFileSync(file, 'utf8'), { filename: file }).runInContext(context);
  new Script('var lomasParser = new exports.Parser();').runInContext(context);
  const call = new Script(
    'JSON.stringify(lomasParser.astify(lomasText, { database: "postgresql" }))'
  );
  // The first parse compiles the grammar's code: done once, without the limit.
  sandbox.lomasText = WARM_UP;
  call.runInContext(context);
  loaded = { context, call };
  return loaded;
}

const isTimeout = (e: unknown) =>
  (e as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';

/**
 * One parse within the limit. The limit is wall-clock time, so on a loaded machine a parse can
 * run out of it while this process waits for a core (measured: 2 of 3,000 parses of a 40-character
 * query at a load average of 21 on 2 cores). A parse that timed out having used under half the
 * limit in CPU time (this process's, an over-estimate of the parse's own) was mostly waiting, not
 * working: it is tried again, up to SQL_PARSE_ATTEMPTS times in all. A text that makes the parser
 * work runs out of the limit with the CPU busy, and is refused after one attempt.
 */
function astify(text: string): unknown {
  const p = load();
  (p.context as Record<string, unknown>).lomasText = text;
  const attempt = () =>
    JSON.parse(p.call.runInContext(p.context, { timeout: SQL_PARSE_TIMEOUT_MS }) as string);
  for (let tries = 1; ; tries++) {
    const cpu = process.cpuUsage();
    try {
      return attempt();
    } catch (e) {
      const used = process.cpuUsage(cpu);
      const busy = (used.user + used.system) / 1000 >= SQL_PARSE_TIMEOUT_MS / 2;
      if (!isTimeout(e) || busy || tries >= SQL_PARSE_ATTEMPTS) throw e;
    }
  }
}

/** Parses the cleaned text (comments blanked). Syntax errors become INVALID_SQL with a caret. */
export function parseSql(
  src: SqlSource,
  cleaned: string,
  tokens: readonly Token[]
): AstNode | AstNode[] {
  try {
    return astify(cleaned) as AstNode | AstNode[];
  } catch (e) {
    if (isTimeout(e)) sqlFail(src, undefined, 'parseTime', SQL_PARSE_TIMEOUT_MS);
    const err = e as {
      message?: string;
      location?: { start?: { offset?: number }; end?: { offset?: number } };
    };
    const start = err.location?.start?.offset;
    if (typeof start !== 'number') sqlFail(src, undefined, 'notSelect');
    // The token at the error names it better than the parser's first character.
    const tok = tokens.find(t => t.end > start);
    const atEnd = /but end of input found/.test(err.message ?? '') || !tok;
    const end = tok ? tok.end : start + 1;
    sqlFail(
      src,
      { start: Math.min(start, src.text.length - 1), end: Math.min(end, src.text.length) },
      'unexpected',
      atEnd ? undefined : tok.text
    );
  }
}
