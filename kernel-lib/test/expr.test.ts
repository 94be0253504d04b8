import { LomasError, parsePlan, type Expr } from '../src/protocol';
import { op, parseRowFunction, toExpr } from '../src/expr';

const col = (name: string): Expr => ({ kind: 'col', name });
const lit = (value: string | number | boolean | null): Expr => ({ kind: 'lit', value });

function rejection(fn: () => unknown): LomasError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LomasError);
    return e as LomasError;
  }
  throw new Error('expected a rejection');
}

describe('expressions: accepted', () => {
  it('reads the DESIGN example from a real arrow function', () => {
    expect(toExpr(d => d.island === 'Biscoe' && d.body_mass_g > 3000)).toEqual({
      kind: 'logical',
      op: '&&',
      left: { kind: 'binary', op: '==', left: col('island'), right: lit('Biscoe') },
      right: { kind: 'binary', op: '>', left: col('body_mass_g'), right: lit(3000) }
    });
  });

  const x1: Expr = { kind: 'binary', op: '>', left: col('x'), right: lit(1) };
  it.each([
    ['d => d.x > 1'],
    ['(d) => d.x > 1'],
    ['d => d["x"] > 1'],
    ["d => d['x'] > 1"],
    ['d => d[`x`] > 1'],
    ['d => { return d.x > 1; }'],
    ['function (d) { return d.x > 1; }'],
    ['function named(d) {\n  return d.x > 1;\n}'],
    ['f(d) { return d.x > 1 }'],
    ['row => (row.x > 1)'],
    ['d => d.x > +1'.replace('+', '')]
  ])('source form %s', src => {
    expect(parseRowFunction(src)).toEqual(x1);
  });

  it('accepts the JavaScript that TypeScript emits for a function expression', () => {
    // What `tsc --target es5` would print for `(d: any) => d.x > 1`.
    expect(toExpr('function (d) { return d.x > 1; }')).toEqual(x1);
    // Type assertions disappear: `(d.x as number) > 1` becomes `d.x > 1`.
    expect(toExpr((d: { x: unknown }) => (d.x as number) > 1)).toEqual(x1);
  });

  it.each([
    ['d => d.sex == null', { kind: 'isnull', arg: col('sex') }],
    ['d => d.sex === null', { kind: 'isnull', arg: col('sex') }],
    ['d => d.sex === undefined', { kind: 'isnull', arg: col('sex') }],
    ['d => null == d.sex', { kind: 'isnull', arg: col('sex') }],
    ['d => d.sex === void 0', { kind: 'isnull', arg: col('sex') }],
    ['d => d.sex !== null', { kind: 'unary', op: '!', arg: { kind: 'isnull', arg: col('sex') } }],
    [
      'd => d.sex != undefined',
      { kind: 'unary', op: '!', arg: { kind: 'isnull', arg: col('sex') } }
    ]
  ])('null check %s', (src, expected) => {
    expect(toExpr(src)).toEqual(expected);
  });

  it('reads arithmetic, negation, logic and ternaries', () => {
    expect(toExpr('d => -d.x + 3 * (d.y % 2) / 4 - -1')).toEqual({
      kind: 'binary',
      op: '-',
      left: {
        kind: 'binary',
        op: '+',
        left: { kind: 'unary', op: '-', arg: col('x') },
        right: {
          kind: 'binary',
          op: '/',
          left: {
            kind: 'binary',
            op: '*',
            left: lit(3),
            right: { kind: 'binary', op: '%', left: col('y'), right: lit(2) }
          },
          right: lit(4)
        }
      },
      right: lit(-1)
    });
    expect(toExpr('d => !(d.a || d.b) ? "no" : d.c !== 2')).toEqual({
      kind: 'cond',
      test: {
        kind: 'unary',
        op: '!',
        arg: { kind: 'logical', op: '||', left: col('a'), right: col('b') }
      },
      then: lit('no'),
      else: { kind: 'binary', op: '!=', left: col('c'), right: lit(2) }
    });
    expect(toExpr('d => d.x ?? 0')).toEqual({
      kind: 'cond',
      test: { kind: 'isnull', arg: col('x') },
      then: lit(0),
      else: col('x')
    });
    expect(toExpr('d => d.flag === true && d.s === `plain` && d.n === null')).toMatchObject({
      kind: 'logical'
    });
  });

  it('reads Math functions and constants', () => {
    expect(
      toExpr(d => Math.abs(d.x) + Math.round(d.y) + Math.floor(d.z) + Math.ceil(d.w))
    ).toMatchObject({ kind: 'binary' });
    expect(toExpr(d => Math.log(d.x) < Math.exp(d.y) && Math.sqrt(d.z) > Math.PI)).toMatchObject({
      kind: 'logical'
    });
    expect(toExpr(d => Math.max(d.a, d.b, 3))).toEqual({
      kind: 'call',
      fn: 'max',
      args: [col('a'), col('b'), lit(3)]
    });
    expect(toExpr(d => Math.min(d.a, 0))).toEqual({
      kind: 'call',
      fn: 'min',
      args: [col('a'), lit(0)]
    });
  });

  it('reads string methods and length', () => {
    expect(toExpr(d => d.species.startsWith('Ad'))).toEqual({
      kind: 'call',
      fn: 'startsWith',
      args: [col('species'), lit('Ad')]
    });
    expect(toExpr(d => d.species.endsWith('ie') || d.species.includes('ent'))).toMatchObject({
      kind: 'logical',
      left: { kind: 'call', fn: 'endsWith' },
      right: { kind: 'call', fn: 'includes' }
    });
    expect(toExpr(d => d.species.toLowerCase() === 'adelie')).toEqual({
      kind: 'binary',
      op: '==',
      left: { kind: 'call', fn: 'lower', args: [col('species')] },
      right: lit('adelie')
    });
    expect(toExpr(d => d.species.toUpperCase())).toEqual({
      kind: 'call',
      fn: 'upper',
      args: [col('species')]
    });
    expect(toExpr(d => d.species.length > 3)).toEqual({
      kind: 'binary',
      op: '>',
      left: { kind: 'call', fn: 'length', args: [col('species')] },
      right: lit(3)
    });
    expect(toExpr(d => d.name?.length)).toEqual({
      kind: 'call',
      fn: 'length',
      args: [col('name')]
    });
  });

  it('reads op helpers, also after CommonJS compilation renames the import', () => {
    expect(toExpr(d => op.year(d.date) >= 2020)).toEqual({
      kind: 'binary',
      op: '>=',
      left: { kind: 'call', fn: 'year', args: [col('date')] },
      right: lit(2020)
    });
    expect(toExpr('d => lomas_kernel_1.op.month(d.date) === 12')).toMatchObject({
      left: { kind: 'call', fn: 'month' }
    });
    expect(toExpr('d => op.weekday(d.t) + op.hour(d.t) + op.day(d.t)')).toMatchObject({
      kind: 'binary'
    });
    expect(toExpr('d => op.lower(d.s)')).toEqual({ kind: 'call', fn: 'lower', args: [col('s')] });
  });

  it('op helpers also compute locally', () => {
    const t = '2024-03-09T17:30:00Z';
    expect([op.year(t), op.month(t), op.day(t), op.hour(t), op.weekday(t)]).toEqual([
      2024, 3, 9, 17, 6
    ]);
    expect([
      op.lower('Ab'),
      op.upper('Ab'),
      op.length('Ab'),
      op.startsWith('Ab', 'A'),
      op.max(1, 5, 2)
    ]).toEqual(['ab', 'AB', 2, true, 5]);
  });

  it('inlines params as literals', () => {
    const since = new Date('2020-01-01T00:00:00Z');
    expect(
      toExpr(
        (d, $) =>
          d.x > $.min && d.island === $.island && d.t >= $.since && d.ok === $.ok && d.n !== $.none,
        {
          min: 3,
          island: 'Biscoe',
          since,
          ok: true,
          none: null
        }
      )
    ).toEqual({
      kind: 'logical',
      op: '&&',
      left: {
        kind: 'logical',
        op: '&&',
        left: {
          kind: 'logical',
          op: '&&',
          left: {
            kind: 'logical',
            op: '&&',
            left: { kind: 'binary', op: '>', left: col('x'), right: lit(3) },
            right: { kind: 'binary', op: '==', left: col('island'), right: lit('Biscoe') }
          },
          right: {
            kind: 'binary',
            op: '>=',
            left: col('t'),
            right: lit('2020-01-01T00:00:00.000Z')
          }
        },
        right: { kind: 'binary', op: '==', left: col('ok'), right: lit(true) }
      },
      right: { kind: 'unary', op: '!', arg: { kind: 'isnull', arg: col('n') } }
    });
    expect(toExpr((d, p) => d.x > p['min'], { min: 1 })).toEqual(x1);
  });

  it('turns list membership into equalities, shallow even for long lists', () => {
    expect(toExpr(d => ['Biscoe', 'Dream'].includes(d.island))).toEqual({
      kind: 'logical',
      op: '||',
      left: { kind: 'binary', op: '==', left: col('island'), right: lit('Biscoe') },
      right: { kind: 'binary', op: '==', left: col('island'), right: lit('Dream') }
    });
    const islands = Array.from({ length: 100 }, (_, i) => `i${i}`);
    const e = toExpr((d, $) => $.islands.includes(d.island), { islands });
    expect(JSON.stringify(e).match(/"binary"/g)).toHaveLength(100);
    expect(() =>
      parsePlan({
        version: 1,
        dataset: 'p',
        steps: [{ op: 'filter', predicate: e }],
        aggregations: [{ op: 'count', budget: { epsilon: 1 } }]
      })
    ).not.toThrow();
    expect(toExpr(d => [].includes(d.island as never))).toEqual(lit(false));
  });

  it('keeps literals that look like SQL or code as data', () => {
    const sql = "'; DROP TABLE penguins; --";
    const e = toExpr(`d => d.species === "${sql}" || d.s === "process.exit()" || d.t === "\${x}"`);
    expect(JSON.stringify(e)).toContain(JSON.stringify(sql));
    expect(e).toMatchObject({ left: { left: { right: lit(sql) } }, right: { right: lit('${x}') } });
    expect(toExpr((d, $) => d.species === $.s, { s: sql })).toEqual({
      kind: 'binary',
      op: '==',
      left: col('species'),
      right: lit(sql)
    });
  });

  it('accepts an Expr tree, validated', () => {
    const e: Expr = { kind: 'binary', op: '>', left: col('x'), right: lit(1) };
    expect(toExpr(e)).toEqual(e);
  });
});

describe('expressions: rejected (issue 5 hostile list and more)', () => {
  it.each([
    ['d => process.exit()', 'process.exit()', /not allowed/],
    ['d => process', 'process', /not available/],
    ['d => d.constructor', 'd.constructor', /built-in/],
    ['d => d["constructor"]', 'd["constructor"]', /built-in/],
    ['d => d.__proto__', 'd.__proto__', /built-in/],
    ['d => d.x.constructor.constructor("return process")()', 'd.x.constructor', /not allowed/],
    ['d => globalThis', 'globalThis', /not available/],
    ['d => globalThis.process.exit(1)', 'globalThis.process.exit(1)', /not allowed/],
    ["d => fetch('x')", "fetch('x')", /fetch\(\) is not allowed/],
    ['d => eval("1")', 'eval("1")', /not allowed/],
    ["d => require('fs')", "require('fs')", /not allowed/],
    ['d => d[k]', 'd[k]', /computed member access/],
    ['d => d[d.name] > 1', 'd[d.name]', /computed member access/],
    ['d => d[0]', 'd[0]', /computed member access/],
    ['d => `${d.x}`', '`${d.x}`', /template strings/],
    ['d => d.x === `a${process.exit()}`', '`a${process.exit()}`', /template strings/],
    ["d => d['x\"; DROP TABLE t; --'] > 1", 'DROP TABLE', /not a valid column name/],
    ['d => d["x\' OR 1=1"]', 'OR 1=1', /not a valid column name/],
    ['d => d["bill length"]', 'bill length', /not a valid column name/],
    ['d => d.x = 1', 'd.x = 1', /assignments/],
    ['d => d.x++', 'd.x++', /assignments/],
    ['d => new Date()', 'new Date()', /"new"/],
    ['d => d.x > min', 'min', /outside the function/],
    ['d => this.x', 'this', /"this"/],
    ['async d => d.x', 'async d => d.x', /async/],
    ['function* (d) { yield d.x; }', 'function*', /generator/],
    ['d => /abc/.test(d.x)', '/abc/', /regular expressions/],
    ['({ x }) => x > 1', '{ x }', /destructuring/],
    ['(d = {}) => d.x', 'd = {}', /destructuring/],
    ['(...d) => d.x', '...d', /destructuring/],
    ['(d, $, extra) => d.x', '(d, $, extra)', /row function takes/],
    ['d => { console.log(d); return d.x; }', 'console.log', /one return/],
    ['d => { d.x; }', '{ d.x; }', /one return/],
    ['d => (0, d.x)', '0, d.x', /comma/],
    ['d => Math.max(...d.xs)', '...d.xs', /spread/],
    ['d => Math.random()', 'Math.random', /Math.random is not available/],
    ['d => Math.pow(d.x, 2)', 'Math.pow', /not available/],
    ['d => d.x ** 2', 'd.x ** 2', /\*\*/],
    ["d => typeof d.x === 'string'", 'typeof d.x', /typeof/],
    ['d => "x" in d', '"x" in d', /in operator/],
    ['d => d.x instanceof Date', 'instanceof', /instanceof/],
    ['d => d.x | 1', 'd.x | 1', /\| operator/],
    ['d => +d.x', '+d.x', /unary \+/],
    ['d => 10n', '10n', /BigInt/],
    ['d => 1e400', '1e400', /finite/],
    ['d => NaN', 'NaN', /finite/],
    ['d => d', 'd', /whole row/],
    ['d => d.x.trim()', 'd.x.trim()', /\.trim\(\) is not allowed/],
    ['d => op.eval(d.x)', 'op.eval', /op.eval does not exist/],
    ['d => Math.abs(d.x, 2)', 'Math.abs(d.x, 2)', /abs takes 1/],
    ['d => d.s.startsWith()', 'd.s.startsWith()', /startsWith takes 2/],
    ['d => () => 1', '() => 1', /nested/],
    ['d => [d.x]', '[d.x]', /list/],
    ['d => ({ a: 1 })', '{ a: 1 }', /objects/],
    ['d => _a', '_a', /temporary variable/],
    ['d => x => x', 'x => x', /nested/],
    ['1 + 1', '1 + 1', /not a single function/],
    ['d => d.x) , (process.exit()', '', /not a single function|could not be parsed/],
    ['function abs() { [native code] }', '', /built-in/],
    ['not javascript at all', '', /could not be parsed/]
  ])('%s', (src, snippet, problem) => {
    const err = rejection(() => toExpr(src));
    expect(err.code).toBe('UNSUPPORTED_EXPRESSION');
    expect(String(err.details.problem)).toMatch(problem);
    if (snippet) expect(String(err.details.snippet)).toContain(snippet);
    expect(String(err.details.fix).length).toBeGreaterThan(10);
    expect(err.message).toContain(String(err.details.problem));
  });

  it('says how to pass outer values with params', () => {
    const min = 3;
    const err = rejection(() => toExpr(d => d.x > min));
    expect(err.details.snippet).toBe('min');
    expect(err.details.fix).toContain('.filter((d, $) => d.x > $.min, { min })');
    expect(err.message).toContain('(in `min`)');
  });

  it('recognises a notebook variable that tslab compiled to exports.name', () => {
    const err = rejection(() => toExpr('d => d.x > exports.minBill'));
    expect(err.details.snippet).toBe('exports.minBill');
    expect(err.details.problem).toMatch(/"minBill" is a variable from outside/);
    expect(err.details.fix).toContain('{ minBill }');
  });

  it('rejects missing, unknown or unusable params', () => {
    expect(rejection(() => toExpr((d, $) => d.x > $.min)).details.problem).toMatch(
      /none were given/
    );
    expect(rejection(() => toExpr((d, $) => d.x > $.max, { min: 1 })).details.problem).toMatch(
      /no "max"/
    );
    expect(
      rejection(() => toExpr((d, $) => d.x > $.constructor, { min: 1 })).details.problem
    ).toMatch(/no "constructor"/);
    expect(
      rejection(() => toExpr((d, $) => d.x > $.o, { o: [1] as never })).details.problem
    ).toMatch(/array/);
    expect(
      rejection(() => toExpr((d, $) => d.x > $.o, { o: { a: 1 } as never })).details.problem
    ).toMatch(/object/);
    expect(rejection(() => toExpr((d, $) => d.x > $.o, { o: Infinity })).details.problem).toMatch(
      /finite/
    );
    expect(rejection(() => toExpr((d, $) => d.x > $[d.k], { o: 1 })).details.problem).toMatch(
      /fixed name/
    );
    expect(rejection(() => toExpr((d, $) => d.x > $, { o: 1 })).details.problem).toMatch(
      /whole params/
    );
  });

  it('enforces the depth and size limits', () => {
    expect(rejection(() => toExpr('d => ' + '!'.repeat(40) + 'd.x')).details.problem).toMatch(
      /nested more than 32/
    );
    expect(
      rejection(() => toExpr('d => ' + Array(600).fill('d.x').join(' + '))).details.problem
    ).toMatch(/nested|parts/);
    const wide =
      'd => ' +
      Array.from({ length: 64 }, (_, i) => `(${Array(8).fill(`d.c${i}`).join(' + ')})`).join(' * ');
    expect(rejection(() => toExpr(wide)).code).toBe('UNSUPPORTED_EXPRESSION');
    expect(
      rejection(() => toExpr('d => ' + '('.repeat(20000) + 'd.x' + ')'.repeat(20000))).details
        .problem
    ).toMatch(/longer than|nested/);
    expect(rejection(() => toExpr(`d => d.s === "${'x'.repeat(1001)}"`)).details.problem).toMatch(
      /1000 characters/
    );
  });

  it('rejects invalid Expr trees and non-expressions', () => {
    expect(
      rejection(() => toExpr({ kind: 'call', fn: 'eval', args: [] } as unknown as Expr)).code
    ).toBe('UNSUPPORTED_EXPRESSION');
    expect(rejection(() => toExpr({ kind: 'col', name: 'a; DROP' })).code).toBe(
      'UNSUPPORTED_EXPRESSION'
    );
    expect(rejection(() => toExpr(42 as unknown as Expr)).code).toBe('UNSUPPORTED_EXPRESSION');
    expect(rejection(() => toExpr(Math.abs)).details.problem).toMatch(/built-in/);
    expect(rejection(() => toExpr(((d: { x: number }) => d.x).bind(null))).details.problem).toMatch(
      /built-in/
    );
  });
});
