/**
 * The SQL parser: node-sql-parser's PostgreSQL grammar (a PEG parser in plain JavaScript, so the
 * same code runs on the server and in a notebook). It is loaded at the first SQL query only, so the
 * protocol module stays light for the extension and for plan-only users.
 */
import type { Token } from './lexer';
import { sqlError, type SqlSource } from './source';

/** A node of node-sql-parser's AST, read loosely: compile.ts checks every field it accepts. */
export type AstNode = Record<string, unknown>;

interface ParserLike {
  astify(sql: string, opt?: { database?: string }): unknown;
}

let parser: ParserLike | undefined;

function load(): ParserLike {
  if (!parser) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: loaded at the first SQL query
    const mod = require('node-sql-parser/build/postgresql') as { Parser: new () => ParserLike };
    parser = new mod.Parser();
  }
  return parser;
}

const GRAMMAR =
  'Lomas SQL reads: SELECT keys and aggregates FROM df [WHERE …] [GROUP BY …] [HAVING …] [ORDER BY …] [LIMIT n].';

/** Parses the cleaned text (comments blanked). Syntax errors become INVALID_SQL with a caret. */
export function parseSql(
  src: SqlSource,
  cleaned: string,
  tokens: readonly Token[]
): AstNode | AstNode[] {
  try {
    return load().astify(cleaned, { database: 'postgresql' }) as AstNode | AstNode[];
  } catch (e) {
    const err = e as {
      message?: string;
      location?: { start?: { offset?: number }; end?: { offset?: number } };
    };
    const start = err.location?.start?.offset;
    if (typeof start !== 'number')
      throw sqlError(
        src,
        undefined,
        'INVALID_SQL',
        { problem: 'the text is not a SELECT statement Lomas can read', fix: GRAMMAR },
        'syntax'
      );
    // The token at the error names it better than the parser's first character.
    const tok = tokens.find(t => t.end > start);
    const atEnd = /but end of input found/.test(err.message ?? '') || !tok;
    const what = atEnd ? 'the end of the text' : `"${tok.text}"`;
    const end = tok ? tok.end : start + 1;
    throw sqlError(
      src,
      { start: Math.min(start, src.text.length - 1), end: Math.min(end, src.text.length) },
      'INVALID_SQL',
      { problem: `${what} was not expected here`, fix: GRAMMAR },
      'syntax'
    );
  }
}
