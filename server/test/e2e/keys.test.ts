/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * Group keys are exact end to end, over HTTP against the real server. The reported attack: a
 * derived key cond(group == "A", (2^53 − 1)·2 + 3, (2^53 − 1)·2 + 2) with key discovery. The two
 * keys are one JS number, so the engine used to merge them and release one group; with exact keys
 * they are two groups, released as decimal strings (the documented encoding beyond ±(2^53 − 1)).
 */
import { plan, startE2E, type E2E } from './harness';

let h: E2E;
beforeAll(async () => {
  h = await startE2E();
  await h.register('e2e_approx', 'approx', { epsilon: '1000', delta: '0.01' });
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

const lit = (value: unknown) => ({ kind: 'lit', value });
const big = (plus: number) => ({
  kind: 'binary',
  op: '+',
  left: { kind: 'binary', op: '*', left: lit(9007199254740991), right: lit(2) },
  right: lit(plus)
});

test('keys beyond 2^53 from a derived column stay two groups, released exactly', async () => {
  const r = await h.run(
    plan(
      {
        steps: [
          {
            op: 'derive',
            columns: {
              k: {
                expr: {
                  kind: 'cond',
                  test: {
                    kind: 'binary',
                    op: '==',
                    left: { kind: 'col', name: 'group' },
                    right: lit('A')
                  },
                  then: big(3),
                  else: big(2)
                }
              }
            }
          }
        ],
        groupby: { keys: ['k'], discover: { delta: '0.000001' } },
        aggregations: [{ op: 'count' }],
        budget: { epsilon: '2' }
      },
      'e2e_approx'
    )
  );
  expect(r.status).toBe(200);
  expect(r.body.columns[0]).toMatchObject({ name: 'k', role: 'key', type: 'integer' });
  const inA = h.rows.filter(x => x.group === 'A').length;
  const counts = Object.fromEntries(r.body.rows.map((row: any) => [row.k, row.count]));
  expect(Object.keys(counts).sort()).toEqual(['18014398509481984', '18014398509481985']);
  // Discrete Laplace noise of scale about 1/2 per count: 50 rows off has probability < 1e-20.
  expect(Math.abs(counts['18014398509481985'] - inA)).toBeLessThan(50);
  expect(Math.abs(counts['18014398509481984'] - (h.rows.length - inA))).toBeLessThan(50);
});

test('public integer keys from the plan meet the engine values of the same keys', async () => {
  const r = await h.run(
    plan({
      steps: [
        {
          op: 'derive',
          columns: {
            tens: {
              expr: {
                kind: 'call',
                fn: 'floor',
                args: [
                  { kind: 'binary', op: '/', left: { kind: 'col', name: 'x' }, right: lit(10) }
                ]
              }
            }
          }
        }
      ],
      groupby: { keys: ['tens'], values: { tens: [0, 5, 9, 10, 11] } },
      aggregations: [{ op: 'count' }],
      budget: { epsilon: '2' }
    })
  );
  expect(r.status).toBe(200);
  const truth = (t: number) => h.rows.filter(x => Math.floor(x.x / 10) === t).length;
  expect(r.body.rows.map((row: any) => row.tens)).toEqual([0, 5, 9, 10, 11]);
  for (const row of r.body.rows) expect(Math.abs(row.count - truth(row.tens))).toBeLessThan(50);
  expect(truth(5)).toBeGreaterThan(100); // a populated group: a mismatch would release ~0
});
