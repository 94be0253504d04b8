import { LomasError, parsePlan } from '../src/protocol';
import { acceptedSqlFixtures, refusedSqlFixtures } from '../src/protocol/fixtures/sql';
import { compileSql } from '../src/protocol/sql';

/** The shared SQL corpus, checked by the notebook library's compiler (the server checks it too). */
function refusal(f: () => unknown): LomasError {
  try {
    f();
  } catch (e) {
    if (e instanceof LomasError) return e;
    throw e;
  }
  throw new Error('not refused');
}

describe('SQL corpus', () => {
  const accepted = acceptedSqlFixtures();
  const refused = refusedSqlFixtures();

  test('has accepted and refused queries', () => {
    expect(accepted.length).toBeGreaterThanOrEqual(20);
    expect(refused.filter(f => f.expect.stage === 'compile').length).toBeGreaterThanOrEqual(40);
    expect(refused.filter(f => f.expect.stage === 'server').length).toBeGreaterThanOrEqual(5);
  });

  test.each(accepted.map(f => [f.name, f] as const))('accepted: %s', (_n, f) => {
    const c = compileSql(f.request);
    expect(c.plan).toEqual(f.plan);
    expect(c.post).toEqual(f.post);
    expect(parsePlan(JSON.parse(JSON.stringify(c.plan)))).toEqual(f.plan);
  });

  test.each(refused.filter(f => f.expect.stage === 'compile').map(f => [f.name, f] as const))(
    'refused by the compiler: %s',
    (_n, f) => {
      const e = refusal(() => compileSql(f.request));
      expect(e.code).toBe(f.expect.code);
      if (f.expect.rule) expect(e.details.sqlRule ?? e.details.rule).toBe(f.expect.rule);
      const loc = e.details.sql as { line: number; column: number; length: number } | undefined;
      if (f.expect.line !== undefined) {
        expect(loc).toMatchObject({
          line: f.expect.line,
          column: f.expect.column,
          length: f.expect.length
        });
        // The message shows the line and a caret under the span.
        expect(e.message).toContain(`line ${f.expect.line}, column ${f.expect.column}:`);
        expect(e.message).toMatch(/\n {4}.*\n {4}\s*\^+$/);
      }
      expect(e.status).toBeGreaterThanOrEqual(400);
      expect(e.status).toBeLessThan(500);
    }
  );

  test.each(refused.filter(f => f.expect.stage === 'server').map(f => [f.name, f] as const))(
    'compiles, then refused by the server with the metadata: %s',
    (_n, f) => {
      expect(() => compileSql(f.request)).not.toThrow();
    }
  );
});
