/**
 * The SQL front end's messages live in one table (protocol/sql/refusals.ts). These tests keep it
 * that way: every entry is used by the compiler, every id the compiler names exists, no compiler
 * file writes a message of its own, and every entry says what went wrong and how to fix it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorStatus, LomasError } from '../src/protocol';
import { SQL_MESSAGES, SQL_PLAN_FIXES, sqlMessage } from '../src/protocol/sql/refusals';

const DIR = join(__dirname, '../src/protocol/sql');
const TABLE = 'refusals.ts';
/** Files that build errors from the table's facts, not from words of their own. */
const ERROR_BUILDERS = new Set([TABLE, 'source.ts']);

const files = readdirSync(DIR)
  .filter(f => f.endsWith('.ts') && f !== TABLE)
  .map(f => ({ name: f, text: readFileSync(join(DIR, f), 'utf8') }));
const table = readFileSync(join(DIR, TABLE), 'utf8');

/** Code without comment lines, so that documentation may quote messages. */
function code(text: string): string {
  return text
    .split('\n')
    .filter(l => !/^\s*(\/\/|\/\*|\*)/.test(l))
    .join('\n');
}

/** The message ids named at call sites: the quoted argument after the span of a raising call. */
function idsUsed(text: string): Set<string> {
  const ids = new Set<string>();
  // The id is the first quoted argument: spans and offsets hold no quotes.
  const calls = /\b(?:sqlFail|fail|optionError)\(([^';]*?)'(\w+)'/g;
  for (const m of code(text).matchAll(calls)) ids.add(m[2]);
  return ids;
}

describe('the SQL message table', () => {
  const ids = Object.keys(SQL_MESSAGES);
  const used = new Set<string>();
  for (const f of files) for (const id of idsUsed(f.text)) used.add(id);
  // The keyword refusals are raised from the table's own file, after the table.
  const keywordPart = code(table.slice(table.indexOf('const KEYWORD_IDS')));
  for (const m of keywordPart.matchAll(/'(\w+)'/g)) if (m[1] in SQL_MESSAGES) used.add(m[1]);

  it('has entries, and every entry is raised somewhere', () => {
    expect(ids.length).toBeGreaterThan(60);
    expect(ids.filter(id => !used.has(id))).toEqual([]);
  });

  it('names no id that it does not have', () => {
    for (const f of files)
      for (const id of idsUsed(f.text))
        expect({ file: f.name, id, known: id in SQL_MESSAGES }).toEqual({
          file: f.name,
          id,
          known: true
        });
  });

  it('uses every plan fix', () => {
    const locate = code(files.find(f => f.name === 'locate.ts')!.text);
    for (const k of Object.keys(SQL_PLAN_FIXES)) expect(locate).toContain(`SQL_PLAN_FIXES.${k}(`);
  });

  it('says for every entry what went wrong, why or which rule, and what to write instead', () => {
    for (const [id, entry] of Object.entries(SQL_MESSAGES)) {
      // Any arguments: the words do not depend on them being meaningful.
      const m = (entry as (...a: unknown[]) => ReturnType<typeof sqlMessage>)(
        ...[['x'], ['y'], ['z'], ['w']]
      );
      expect(errorStatus(m.code)).toBe(400);
      expect(m.rule).toMatch(/^[a-z]+(-[a-z]+)*$/);
      const message = new LomasError(m.code, { ...m.facts, rule: m.facts.rule ?? m.rule }).message;
      expect({ id, message }).toEqual({ id, message: expect.stringMatching(/\S{3,}.*\. .*\S/) });
      if (m.code === 'UNSUPPORTED_SQL') {
        expect({ id, why: m.facts.why }).toEqual({ id, why: expect.stringMatching(/\.$/) });
        expect({ id, fix: m.facts.fix }).toEqual({ id, fix: expect.stringMatching(/^[A-Z].*\.$/) });
      }
      if (m.code === 'INVALID_SQL')
        expect({ id, fix: m.facts.fix }).toEqual({ id, fix: expect.stringMatching(/^[A-Z].*\.$/) });
    }
  });
});

describe('the SQL compiler files', () => {
  it('write no message of their own', () => {
    const offences: string[] = [];
    for (const f of files) {
      const text = code(f.text);
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        const at = `${f.name}:${i + 1}: ${line.trim()}`;
        // A LomasError with a literal code is a new message; rebuilding one (err.code) is not.
        if (/new LomasError\(\s*['"`]/.test(line)) offences.push(at);
        if (!ERROR_BUILDERS.has(f.name) && /\bsqlError\(/.test(line)) offences.push(at);
        // Facts of a message written in place.
        if (/\b(what|why|fix|problem|rule|parameter)\s*:\s*['"`]/.test(line)) offences.push(at);
        // A sentence: a string literal of five words or more.
        if (/(['"`])(?:(?!\1).)*\b\w+\s+\w+\s+\w+\s+\w+\s+\w+(?:(?!\1).)*\1/.test(line))
          // Internal invariants (plain Error) and SQL text (the parser's warm-up) are not messages.
          if (!/throw new Error\(|['"`]SELECT /.test(line)) offences.push(at);
      });
    }
    expect(offences).toEqual([]);
  });
});
