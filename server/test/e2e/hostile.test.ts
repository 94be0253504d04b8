/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * Hostile queries end to end, against the real server: every one is rejected with a typed 4xx
 * BEFORE any charge (the budget is unchanged after each), the server keeps answering, and the data
 * is intact. Plans the kernel-lib parser would refuse cannot be built with functions, so most are
 * sent as raw plans; the client-side refusals are tested through the real expression parser.
 */
import { LomasError, PLAN_LIMITS } from 'lomas-kernel/protocol';
import { toExpr } from '../../../kernel-lib/src/expr';
import { QueryBuilder } from '../../../kernel-lib/src/query';
import { METADATA, plan, startE2E, type E2E } from './harness';

let h: E2E;
beforeAll(async () => {
  h = await startE2E();
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

const col = (name: string) => ({ kind: 'col', name });
const lit = (value: unknown) => ({ kind: 'lit', value });
const eq = (l: unknown, r: unknown) => ({ kind: 'binary', op: '==', left: l, right: r });
const filterPlan = (predicate: unknown, dataset = 'e2e') =>
  plan(
    {
      steps: [{ op: 'filter', predicate }],
      aggregations: [{ op: 'count' }],
      budget: { epsilon: '0.5' }
    },
    dataset
  );

/** Sends to run, estimate and dummy; each must be a typed 4xx, and the budget must not move. */
async function expectRefused(
  body: unknown,
  code: RegExp = /^(INVALID_PLAN|INVALID_REQUEST|UNSUPPORTED_EXPRESSION|UNKNOWN_COLUMN|TYPE_MISMATCH|PAYLOAD_TOO_LARGE)$/,
  raw?: string
): Promise<void> {
  const before = await h.budget('e2e');
  for (const path of ['/v1/queries', '/v1/queries/estimate', '/v1/queries/dummy']) {
    const r =
      raw !== undefined
        ? await h.req('POST', path, undefined, { raw })
        : await h.req('POST', path, body);
    expect({ path, status: r.status >= 400 && r.status < 500, code: r.body?.code }).toEqual({
      path,
      status: true,
      code: expect.stringMatching(code)
    });
    expect(typeof r.body.message).toBe('string');
    expect(r.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  }
  expect(await h.budget('e2e')).toEqual(before);
  // Still up, data intact.
  expect((await h.req('GET', '/v1/datasets/e2e/budget')).status).toBe(200);
}

describe('raw hostile plans are rejected before any charge', () => {
  test.each([
    'eval',
    'Function',
    'require',
    'exit',
    'read_csv',
    'read_parquet',
    'getenv',
    'system',
    'constructor',
    '__proto__',
    'toString',
    'hasOwnProperty',
    'ABS',
    'abs '
  ])('unknown function "%s" in a call node', fn =>
    expectRefused(filterPlan({ kind: 'call', fn, args: [col('x')] }))
  );

  test('a whitelisted function with the wrong arity', () =>
    expectRefused(filterPlan(eq({ kind: 'call', fn: 'abs', args: [col('x'), col('x')] }, lit(1)))));

  test('unknown node kinds (code, sql, raw, member, template)', async () => {
    for (const kind of ['code', 'sql', 'raw', 'member', 'template', 'function', 'eval'])
      await expectRefused(
        filterPlan({ kind, value: 'process.exit()', sql: '1=1; DROP TABLE data' })
      );
  });

  const EVIL_NAMES = [
    'x"; DROP TABLE data; --',
    'x"',
    "x'",
    'x; DROP TABLE data',
    'x) OR (1=1',
    'x --',
    '"x"',
    "read_csv('/etc/passwd')",
    'x\u0000',
    'ｘ',
    'x.y',
    '*',
    ''
  ];
  test.each(EVIL_NAMES)(
    'column name %j: in a col node, an aggregation, a groupby, a select and a derive',
    async name => {
      await expectRefused(filterPlan(eq(col(name), lit(1))));
      await expectRefused(plan({ aggregations: [{ op: 'sum', column: name, bounds: [0, 1] }] }));
      await expectRefused(plan({ aggregations: [{ op: 'count', as: name }] }));
      await expectRefused(plan({ groupby: { keys: [name] }, aggregations: [{ op: 'count' }] }));
      await expectRefused(
        plan({ steps: [{ op: 'select', columns: [name] }], aggregations: [{ op: 'count' }] })
      );
      await expectRefused(
        plan({
          steps: [{ op: 'derive', columns: { [name]: { expr: col('x'), lower: 0, upper: 1 } } }],
          aggregations: [{ op: 'count' }]
        })
      );
    }
  );

  test('dataset names with SQL or paths', async () => {
    for (const dataset of ['e2e"; DROP TABLE data; --', '../e2e', '/etc/passwd', 'e2e\u0000'])
      await expectRefused(
        { ...plan({ aggregations: [{ op: 'count' }] }), dataset },
        /^(INVALID_PLAN|INVALID_REQUEST|DATASET_NOT_FOUND)$/
      );
  });

  test('expressions nested beyond the depth limit (33 and 5,000 levels)', async () => {
    const nest = (n: number) => {
      let e: any = col('x');
      for (let i = 0; i < n; i++) e = { kind: 'unary', op: '-', arg: e };
      return eq(e, lit(1));
    };
    // depth limit − 1 is fine (the equality adds one level).
    const ok = await h.run(filterPlan(nest(PLAN_LIMITS.exprDepth - 2)));
    expect(ok.status).toBe(200);
    await expectRefused(filterPlan(nest(PLAN_LIMITS.exprDepth)));
    // 5,000 levels: a body that a recursive validator would choke on.
    // (built as text: JSON.stringify itself recurses.)
    const node = '{"kind":"unary","op":"-","arg":';
    const deepExpr = `${node.repeat(5000)}{"kind":"col","name":"x"}${'}'.repeat(5000)}`;
    const deep = JSON.stringify(filterPlan('@@')).replace('"@@"', deepExpr);
    await expectRefused(undefined, /^(INVALID_PLAN|INVALID_REQUEST|PAYLOAD_TOO_LARGE)$/, deep);
    // A very wide (not deep) tree: too many nodes.
    let wide: any = lit(true);
    for (let i = 0; i < PLAN_LIMITS.exprNodes; i++)
      wide = { kind: 'logical', op: '&&', left: wide, right: lit(true) };
    await expectRefused(filterPlan(wide), /^(INVALID_PLAN|INVALID_REQUEST|PAYLOAD_TOO_LARGE)$/);
  });

  test('10,000-key explicit groupby value list (above the per-key limit)', async () => {
    const values = Array.from({ length: 10_000 }, (_, i) => i);
    await expectRefused(
      plan({ groupby: { keys: ['x'], values: { x: values } }, aggregations: [{ op: 'count' }] }),
      /^(INVALID_PLAN|INVALID_REQUEST|PAYLOAD_TOO_LARGE)$/
    );
  });

  test('groups product above the limit (two keys × 1,000 values = 1,000,000 groups)', () =>
    expectRefused(
      plan({
        groupby: {
          keys: ['x', 'y'],
          values: {
            x: Array.from({ length: 1000 }, (_, i) => i),
            y: Array.from({ length: 1000 }, (_, i) => i / 100)
          }
        },
        aggregations: [{ op: 'count' }]
      })
    ));

  test('a public key list at the limit is accepted and released in full', async () => {
    const values = Array.from({ length: PLAN_LIMITS.valuesPerKey }, (_, i) => i);
    const r = await h.run(
      plan({
        groupby: { keys: ['x'], values: { x: values } },
        aggregations: [{ op: 'count' }],
        budget: { epsilon: '1' }
      })
    );
    expect(r.status).toBe(200);
    expect(r.body.rows).toHaveLength(PLAN_LIMITS.valuesPerKey);
  });

  test.each([
    [
      '__proto__ at the top',
      '{"version":1,"dataset":"e2e","steps":[],"aggregations":[{"op":"count"}],"budget":{"epsilon":"0.5"},"__proto__":{"polluted":true}}'
    ],
    [
      '__proto__ in a budget',
      '{"version":1,"dataset":"e2e","steps":[],"aggregations":[{"op":"count"}],"budget":{"epsilon":"0.5","__proto__":{"epsilon":"0"}}}'
    ],
    [
      '__proto__ in an expression',
      '{"version":1,"dataset":"e2e","steps":[{"op":"filter","predicate":{"kind":"col","name":"x","__proto__":{"kind":"lit"}}}],"aggregations":[{"op":"count"}],"budget":{"epsilon":"0.5"}}'
    ],
    [
      'constructor key',
      '{"version":1,"dataset":"e2e","steps":[],"aggregations":[{"op":"count","constructor":{"prototype":{"x":1}}}],"budget":{"epsilon":"0.5"}}'
    ],
    [
      'prototype key in groupby values',
      '{"version":1,"dataset":"e2e","steps":[],"groupby":{"keys":["group"],"values":{"prototype":["A"]}},"aggregations":[{"op":"count"}],"budget":{"epsilon":"0.5"}}'
    ],
    [
      '__proto__ as a derive column',
      '{"version":1,"dataset":"e2e","steps":[{"op":"derive","columns":{"__proto__":{"expr":{"kind":"col","name":"x"}}}}],"aggregations":[{"op":"count"}],"budget":{"epsilon":"0.5"}}'
    ],
    [
      '__proto__ as a column reference',
      '{"version":1,"dataset":"e2e","steps":[{"op":"filter","predicate":{"kind":"isnull","arg":{"kind":"col","name":"__proto__"}}}],"aggregations":[{"op":"count"}],"budget":{"epsilon":"0.5"}}'
    ],
    [
      'constructor as a column reference',
      '{"version":1,"dataset":"e2e","steps":[{"op":"filter","predicate":{"kind":"isnull","arg":{"kind":"col","name":"constructor"}}}],"aggregations":[{"op":"count"}],"budget":{"epsilon":"0.5"}}'
    ],
    [
      'toString as an aggregation column',
      '{"version":1,"dataset":"e2e","steps":[],"aggregations":[{"op":"sum","column":"toString","bounds":[0,1]}],"budget":{"epsilon":"0.5"}}'
    ]
  ])('%s', async (_n, raw) => {
    await expectRefused(undefined, undefined, raw);
    expect(({} as any).polluted).toBeUndefined();
    expect((Object.prototype as any).x).toBeUndefined();
  });
});

describe('literals containing SQL are data', () => {
  test.each([
    "A'; DROP TABLE data; --",
    "A' OR '1'='1",
    'A" OR "1"="1',
    "'); COPY data TO '/tmp/pwned.csv'; --",
    '$1',
    '?',
    '\\',
    "A\u0000'"
  ])('filter group == %j succeeds and matches nothing', async evil => {
    const before = await h.budget('e2e');
    const r = await h.run(
      plan({
        steps: [{ op: 'filter', predicate: eq(col('group'), lit(evil)) }],
        aggregations: [{ op: 'count' }],
        budget: { epsilon: '2' }
      })
    );
    expect(r.status).toBe(200);
    const row = r.body.rows[0];
    // The true count is 0: the interval contains 0 (99.99%: |Laplace(1/2)| ≤ 10).
    expect(Math.abs(row.count)).toBeLessThanOrEqual(10);
    // It was a real query: charged exactly once.
    const after = await h.budget('e2e');
    expect(Number(after.spent.epsilon) - Number(before.spent.epsilon)).toBeCloseTo(2, 9);
    // The data is still there.
    const all = await h.run(plan({ aggregations: [{ op: 'count' }], budget: { epsilon: '2' } }));
    expect(Math.abs(all.body.rows[0].count - h.rows.length)).toBeLessThanOrEqual(10);
  });

  test('SQL in string functions and in explicit key values is data too', async () => {
    const r = await h.run(
      plan({
        steps: [
          {
            op: 'filter',
            predicate: { kind: 'call', fn: 'startsWith', args: [col('group'), lit("A' OR 1=1 --")] }
          }
        ],
        aggregations: [{ op: 'count' }],
        budget: { epsilon: '2' }
      })
    );
    expect(r.status).toBe(200);
    expect(Math.abs(r.body.rows[0].count)).toBeLessThanOrEqual(10);
    const k = await h.run(
      plan({
        groupby: { keys: ['group'], values: { group: ["A'; DROP TABLE data; --", 'A'] } },
        aggregations: [{ op: 'count' }],
        budget: { epsilon: '2' }
      })
    );
    expect(k.status).toBe(200);
    expect(k.body.rows.map((x: any) => x.group)).toEqual(["A'; DROP TABLE data; --", 'A']);
    expect(Math.abs(k.body.rows[0].count)).toBeLessThanOrEqual(10);
  });
});

describe('client side: the real expression parser refuses code (UNSUPPORTED_EXPRESSION)', () => {
  const refused = (f: () => unknown): LomasError => {
    try {
      f();
    } catch (e) {
      return e as LomasError;
    }
    throw new Error('expected a refusal');
  };
  /* eslint-disable @typescript-eslint/no-require-imports, no-new-func, no-eval -- these functions are read by the parser, never called */
  const HOSTILE: Array<[string, (d: any, $?: any) => unknown]> = [
    ['process.exit()', _d => process.exit()],
    ['d.constructor', d => d.constructor],
    ['globalThis', _d => globalThis],
    ["fetch('x')", _d => fetch('x')],
    ['computed member access', d => d['con' + 'structor']],
    ['computed member with a call', d => d[String.fromCharCode(120)]],
    ['template string with code', _d => `${process.exit()}`],
    ['d.__proto__', d => d.__proto__],
    ['require', _d => require('child_process')],
    ['new Function', _d => new Function('return 1')],
    ['eval', _d => eval('1')],
    ['assignment', d => (d.x = 1)],
    ['method call on a column', d => d.x.constructor('return process')()],
    ['import()', _d => import('fs')],
    [
      'this',
      function (this: any) {
        return this;
      } as any
    ]
  ];
  /* eslint-enable @typescript-eslint/no-require-imports, no-new-func, no-eval */

  test.each(HOSTILE)('toExpr(d => %s) → UNSUPPORTED_EXPRESSION', (_n, f) => {
    const e = refused(() => toExpr(f));
    expect(e).toBeInstanceOf(LomasError);
    expect(e.code).toBe('UNSUPPORTED_EXPRESSION');
    expect(e.message.length).toBeGreaterThan(20);
  });

  test.each(HOSTILE)('builder.filter(d => %s) → refused before anything is sent', (_n, f) => {
    let sent = 0;
    const runner = {
      estimate: async () => void sent++,
      dummy: async () => void sent++,
      run: async () => void sent++
    } as any;
    const b = new QueryBuilder('e2e', runner, METADATA as any);
    const e = refused(() => b.filter(f).count({ epsilon: 1 }));
    expect(e.code).toBe('UNSUPPORTED_EXPRESSION');
    expect(sent).toBe(0);
  });

  test('the message quotes the snippet', () => {
    const e = refused(() => toExpr(d => d.x > 1 && process.exit()));
    expect(e.message).toContain('process');
  });
});
