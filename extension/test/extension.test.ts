import {
  mechanismName,
  budgetShare,
  formatBudgetLeft,
  describeMechanism,
  formatAccuracy,
  formatCost,
  formatNumber,
  formatPercent,
  remainingShare,
  rowHalfWidth
} from '../src/format';
import { readSettings, RESULT_MIME as EXT_MIME } from '../src/tokens';
import { parseBudgets, parseConnection, parseResultBundle } from '../src/validate';
import { RESULT_MIME } from 'lomas-kernel/protocol';
import { SAMPLE_BUNDLE } from '../ui-tests/fixtures/bundle';

describe('result payload validation', () => {
  it('accepts a valid bundle and uses the protocol MIME type', () => {
    expect(EXT_MIME).toBe(RESULT_MIME);
    const parsed = parseResultBundle(SAMPLE_BUNDLE);
    expect(parsed.ok).toBe(true);
  });

  it('accepts an SQL release: its compiled plan and its SQL are declared fields', () => {
    const plan = {
      version: 1,
      dataset: 'penguins',
      steps: [],
      aggregations: [{ op: 'count', as: 'n' }],
      budget: { epsilon: 1 }
    };
    const sql = { text: 'SELECT COUNT(*) AS n FROM df', postprocess: { columns: ['n'] } };
    expect(parseResultBundle({ ...SAMPLE_BUNDLE, plan, sql }).ok).toBe(true);
    const bad = parseResultBundle({ ...SAMPLE_BUNDLE, sql: { ...sql, secret: 1 } });
    expect(bad.ok).toBe(false);
  });

  it.each<[string, unknown, string]>([
    ['null', null, 'not a JSON object'],
    ['a string', 'text', 'not a JSON object'],
    ['version 2', { ...SAMPLE_BUNDLE, version: 2 }, 'unsupported version 2'],
    ['rows not an array', { ...SAMPLE_BUNDLE, rows: 'x' }, 'rows: Invalid input: expected array'],
    ['a nested cell', { ...SAMPLE_BUNDLE, rows: [{ a: { nested: 1 } }] }, 'rows[0].a'],
    ['a cost without delta', { ...SAMPLE_BUNDLE, cost: { epsilon: '0.5' } }, 'cost.delta'],
    [
      'an unknown column role',
      { ...SAMPLE_BUNDLE, columns: [{ name: 'x', role: 'secret', type: 'string' }] },
      'role'
    ],
    [
      'an incomplete mechanism',
      { ...SAMPLE_BUNDLE, mechanisms: [{ aggregation: 'count' }] },
      'mechanisms[0].mechanism'
    ],
    ['a chart that is not a spec', { ...SAMPLE_BUNDLE, chart: 'bar' }, 'chart'],
    // The protocol's schema is strict: a field it does not declare is refused, and the kind the
    // server never produces is gone.
    ['an undeclared field', { ...SAMPLE_BUNDLE, secret: 1 }, 'secret'],
    ['kind "estimate"', { ...SAMPLE_BUNDLE, kind: 'estimate' }, 'kind']
  ])('rejects %s with a readable problem', (_name, payload, expected) => {
    const parsed = parseResultBundle(payload);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems.join('\n')).toContain(expected);
  });
});

describe('formatting', () => {
  it('keeps integers whole and rounds others to the uncertainty', () => {
    expect(formatNumber(1247)).toBe('1,247');
    expect(formatNumber(4523.4567, 46)).toBe('4,523');
    expect(formatNumber(4523.4567, 4.6)).toBe('4,523.5');
    expect(formatNumber(0.123456, 0.046)).toBe('0.123');
    expect(formatNumber(0.123456)).toBe('0.123');
  });

  it('says cost and accuracy the way analysts read them', () => {
    expect(formatCost({ epsilon: '0.5', delta: '0' })).toBe('ε = 0.5 · δ = 0');
    expect(formatCost({ epsilon: '1', delta: '1e-6', rho: '0.02' })).toContain('ρ = 0.02');
    expect(formatAccuracy({ halfWidth: 5.99, confidence: 0.95 })).toBe('±6 at 95%');
    expect(formatAccuracy({ halfWidth: 1234.5, confidence: 0.99 })).toBe('±1,235 at 99%');
    expect(formatPercent(0.999)).toBe('99.9%');
    expect(describeMechanism(SAMPLE_BUNDLE.mechanisms[0])).toBe(
      'count: discrete Laplace (scale 2), ±6 at 95%'
    );
  });

  it('computes a bounded remaining share', () => {
    expect(remainingShare('9.5', '10')).toBeCloseTo(0.95);
    expect(remainingShare('1', '0')).toBe(0);
    expect(remainingShare('12', '10')).toBe(1);
  });
});

describe('settings and budgets', () => {
  it('reads settings defensively; the key and URL are no settings any more', () => {
    expect(readSettings({})).toEqual({ statusBar: true });
    expect(readSettings({ statusBar: false, apiKey: 'lomas_x' })).toEqual({ statusBar: false });
    expect(readSettings({ statusBar: 'no' })).toEqual({ statusBar: true });
  });

  it('reads budgets with the protocol schema and refuses one that does not fit', () => {
    const b = SAMPLE_BUNDLE.budget!;
    expect(parseBudgets([b])).toEqual([b]);
    expect(() => parseBudgets([b, { ...b, accounting: 'fuzzy' }])).toThrow(
      /^The server answered, but budgets\[1\]\.accounting: /
    );
    expect(() => parseBudgets([{ ...b, spent: undefined }])).toThrow(/budgets\[0\]\.spent: /);
    expect(() => parseBudgets('<html>')).toThrow('The server answered, but budgets is not a list.');
  });

  it("reads the Jupyter server extension's connection state, never more", () => {
    expect(
      parseConnection({
        status: 'signed-in',
        url: 'http://h:1',
        user: 'alice',
        role: 'analyst',
        source: 'file',
        configFile: '/home/a/.lomas/config.json',
        token: 'ignored'
      })
    ).toEqual({
      status: 'signed-in',
      url: 'http://h:1',
      user: 'alice',
      role: 'analyst',
      source: 'file',
      configFile: '/home/a/.lomas/config.json'
    });
    expect(() => parseConnection({ status: 'maybe', url: null })).toThrow('connection.status');
  });
});

describe('budget text follows the dataset accounting', () => {
  const status = (
    accounting: 'pure' | 'approx' | 'zcdp',
    extra: Partial<Record<'rho', string>> = {}
  ) => ({
    dataset: 'd',
    accounting,
    initial: {
      epsilon: accounting === 'zcdp' ? '0' : '10',
      delta: '0.00001',
      ...(extra.rho ? { rho: '1' } : {})
    },
    spent: { epsilon: '0', delta: '0' },
    remaining: {
      epsilon: accounting === 'zcdp' ? '0' : '9.5',
      delta: '0.00001',
      ...(extra.rho ? { rho: extra.rho } : {})
    }
  });
  test('pure: ε only', () => expect(formatBudgetLeft(status('pure'))).toBe('ε 9.5 of 10 left'));
  test('approx: ε and δ', () =>
    expect(formatBudgetLeft(status('approx'))).toBe('ε 9.5 of 10 left · δ 0.00001 of 0.00001'));
  test('zcdp: ρ, and the bar follows ρ', () => {
    const s = status('zcdp', { rho: '0.25' });
    expect(formatBudgetLeft(s)).toBe('ρ 0.25 of 1 left · δ 0.00001 of 0.00001');
    expect(budgetShare(s)).toBeCloseTo(0.25);
  });
});

test('mechanism identifiers read as people write them', () => {
  expect(mechanismName('discrete_laplace')).toBe('discrete Laplace');
  expect(mechanismName('discrete_gaussian')).toBe('discrete Gaussian');
  expect(mechanismName('some_new_thing')).toBe('some new thing');
});

describe('accuracy that a single "±x" would misstate', () => {
  const base = { halfWidth: 2000, confidence: 0.95 };
  it("shows the server's words for per-row intervals and quantiles, ±x otherwise", () => {
    const words = 'each row has its own interval (lower, upper): ±400 to ±2,000 at 95%';
    expect(formatAccuracy({ ...base, interval: 'per_row', accuracy: words })).toBe(words);
    const rank = "no interval in the unit of delay: the released value's rank is within ±41 rows";
    expect(formatAccuracy({ ...base, halfWidth: 41, interval: 'rank', accuracy: rank })).toBe(rank);
    expect(formatAccuracy({ ...base, interval: 'value', accuracy: 'ignored' })).toBe(
      '±2,000 at 95%'
    );
  });

  it("formats a row's digits by its own interval, never by a rank in rows", () => {
    const row = { lower: 3300.123, upper: 3400.456 };
    expect(
      rowHalfWidth({ halfWidth: 2000, interval: 'per_row' }, row, 'lower', 'upper')
    ).toBeCloseTo(50.1665);
    expect(
      rowHalfWidth({ halfWidth: 41, interval: 'rank' }, row, 'lower', 'upper')
    ).toBeUndefined();
    expect(rowHalfWidth({ halfWidth: 6 }, row, 'lower', 'upper')).toBe(6);
  });

  it('accepts caveats and refuses malformed ones', () => {
    const caveat = { rows: [0], column: 'count', kind: 'may_be_empty', text: 'may be empty' };
    expect(parseResultBundle({ ...SAMPLE_BUNDLE, caveats: [caveat] }).ok).toBe(true);
    const bad = parseResultBundle({ ...SAMPLE_BUNDLE, caveats: [{ row: 'x' }] });
    expect(bad.ok).toBe(false);
    for (const rows of [[], [1, 0], [0, 0]])
      expect(parseResultBundle({ ...SAMPLE_BUNDLE, caveats: [{ ...caveat, rows }] }).ok).toBe(
        false
      );
  });
});
