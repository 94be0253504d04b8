/**
 * The side panel's plan summaries and history records, over the shared plan corpus: every valid
 * fixture parses and gets a readable one-line summary; every schema-stage invalid fixture is
 * refused by the extension's validation path (issue 5: fixtures validated on every side).
 */
import { invalidPlanFixtures, validPlanFixtures } from '../../kernel-lib/src/protocol/fixtures';
import { parsePlan, type QueryPlan } from 'lomas-kernel/protocol';
import { normalizeDatasetInfo } from '../src/datasets';
import { formatWhen } from '../src/format';
import { normalizeHistory } from '../src/history';
import { describePlan, exprText, readPlan, summarizePlan, SUMMARY_MAX } from '../src/plans';
import { CHART_HEIGHT, themedSpec, type ChartTheme } from '../src/chart';
import { SAMPLE_BUNDLE } from '../ui-tests/fixtures/bundle';

/** A release as GET /v1/queries sends it (the bundle without what the notebook adds). */
const { chart: _chart, ...release } = SAMPLE_BUNDLE;

const valid = validPlanFixtures();
const schemaInvalid = invalidPlanFixtures().filter(f => f.expect.stage === 'schema');

describe('the shared plan corpus', () => {
  it('is there', () => {
    expect(valid.length).toBeGreaterThanOrEqual(10);
    expect(schemaInvalid.length).toBeGreaterThanOrEqual(10);
  });

  it.each(valid.map(f => [f.name, f] as const))(
    'valid plan %s parses and has a one-line summary',
    (_name, f) => {
      const r = readPlan(f.plan);
      if (!r.ok) throw new Error(`${f.name}: ${r.problem}`);
      const text = describePlan(r.plan);
      expect(text.trim().length).toBeGreaterThan(0);
      expect(text).not.toMatch(/\n/);
      expect(text).not.toContain('undefined');
      expect(text).not.toContain('[object');
      expect(text.length).toBeLessThanOrEqual(SUMMARY_MAX);
      // Every aggregation is named in the summary.
      for (const a of r.plan.aggregations) expect(text).toContain(a.op);
      expect(summarizePlan(f.plan)).toEqual({ ok: true, text });
    }
  );

  it.each(schemaInvalid.map(f => [f.name, f] as const))(
    'schema-invalid plan %s is refused and shown as "unreadable plan"',
    (_name, f) => {
      const r = readPlan(f.plan);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problem).toMatch(/\S/);
      const s = summarizePlan(f.plan);
      expect(s.ok).toBe(false);
      expect(s.text).toBe('unreadable plan');
    }
  );
});

describe('describePlan', () => {
  const plan = (p: Partial<QueryPlan>): QueryPlan =>
    parsePlan({ version: 1, dataset: 'penguins', steps: [], ...p });

  it('reads like the query the analyst wrote', () => {
    const design = validPlanFixtures().find(f => f.name === 'design-example')!;
    expect(describePlan(parsePlan(design.plan))).toBe(
      'mean(body_mass_g) by species where island == "Biscoe" and body_mass_g > 3000 — ε 0.5'
    );
    expect(
      describePlan(
        plan({
          groupby: { keys: ['species'] },
          aggregations: [{ op: 'count' }],
          budget: { epsilon: '0.5' }
        })
      )
    ).toBe('count by species — ε 0.5');
  });

  it('adds up budgets and says when accuracy targets decide', () => {
    expect(
      describePlan(
        plan({
          aggregations: [
            { op: 'count', budget: { epsilon: 0.1 } },
            { op: 'sum', column: 'x', bounds: [0, 1], budget: { epsilon: 0.2, delta: '0.000001' } }
          ]
        })
      )
    ).toBe('count, sum(x) — ε 0.3, δ 0.000001');
    const target = plan({ aggregations: [{ op: 'count', accuracy: { halfWidth: 5 } }] });
    expect(describePlan(target)).toBe('count ±5 — budget from accuracy target');
    expect(describePlan(target, 'ε')).toBe('count ±5 — ε from accuracy target');
  });

  it('names the measure a zCDP query was charged in (not "ε from accuracy target")', () => {
    const [item] = normalizeHistory([
      {
        queryId: 'q',
        dataset: 'flights',
        at: '2026-11-30T16:49:37.751Z',
        plan: plan({ aggregations: [{ op: 'count', accuracy: { halfWidth: 100 } }] }),
        cost: { epsilon: '0', delta: '0', rho: '0.00044423458592' },
        release
      }
    ]);
    expect(item.summary).toBe('count ±100 — ρ from accuracy target');
    expect(item.cost).toBe('ρ 0.00044423458592');
  });

  it('parenthesizes by precedence', () => {
    const col = (name: string) => ({ kind: 'col' as const, name });
    expect(
      exprText({
        kind: 'binary',
        op: '*',
        left: { kind: 'binary', op: '+', left: col('a'), right: col('b') },
        right: col('c')
      })
    ).toBe('(a + b) * c');
    expect(
      exprText({
        kind: 'binary',
        op: '-',
        left: col('a'),
        right: { kind: 'binary', op: '-', left: col('b'), right: col('c') }
      })
    ).toBe('a - (b - c)');
    expect(exprText({ kind: 'unary', op: '!', arg: { kind: 'isnull', arg: col('sex') } })).toBe(
      'sex is not null'
    );
  });
});

describe('history records', () => {
  const countPlan = valid.find(f => f.name === 'count-all')?.plan ?? valid[0].plan;
  it('summarizes entries, marks failures and never throws on a plan it cannot read', () => {
    const entry = {
      queryId: 'q1',
      dataset: 'penguins',
      at: '2024-11-25T08:00:00.000Z',
      plan: countPlan,
      cost: { epsilon: '0.5', delta: '0' },
      release
    };
    const items = normalizeHistory([
      entry,
      { ...entry, queryId: 'q2', plan: { version: 9 }, release: null },
      { ...entry, queryId: 'q3', plan: { __proto__: 1 }, release: null }
    ]);
    expect(items).toHaveLength(3);
    expect(items[0]).toMatchObject({ readable: true, released: true, cost: 'ε 0.5' });
    expect(items[0].summary).toMatch(/^count/);
    expect(items[1]).toMatchObject({
      summary: 'unreadable plan',
      readable: false,
      released: false
    });
    expect(items[1].problem).toContain('version');
    expect(items[2].summary).toBe('unreadable plan');
    expect(normalizeHistory([])).toEqual([]);
  });

  it("refuses an answer that is not the protocol's history, naming the field", () => {
    const entry = {
      queryId: 'q1',
      dataset: 'penguins',
      at: '2024-11-25T08:00:00.000Z',
      plan: countPlan,
      cost: { epsilon: '0.5', delta: '0' },
      release: null
    };
    expect(() => normalizeHistory('<html>')).toThrow(
      'The server answered, but queries is not a list.'
    );
    expect(() => normalizeHistory([entry, { ...entry, cost: {} }])).toThrow(
      /^The server answered, but queries\[1\]\.cost\.epsilon: /
    );
    expect(() => normalizeHistory([{ ...entry, release: { rows: [] } }])).toThrow(
      /queries\[0\]\.release: /
    );
  });

  it('formats times compactly', () => {
    const now = new Date('2024-11-25T12:00:00');
    expect(formatWhen('2024-11-25T08:03:04', now)).toBe('08:03:04');
    expect(formatWhen('2024-11-20T08:03:04', now)).toBe('Nov 20, 08:03');
    expect(formatWhen('soon', now)).toBe('soon');
  });
});

describe('dataset metadata', () => {
  it('becomes a compact column list', () => {
    const info = normalizeDatasetInfo({
      name: 'penguins',
      description: 'Palmer penguins',
      accounting: 'pure',
      metadata: {
        rows: 344,
        max_ids: 1,
        columns: {
          species: {
            type: 'string',
            categories: ['Adelie', 'Chinstrap', 'Gentoo'],
            nullable: false
          },
          body_mass_g: { type: 'int', lower: 2700, upper: 6300, nullable: true }
        }
      }
    });
    expect(info).toEqual({
      name: 'penguins',
      description: 'Palmer penguins',
      accounting: 'pure',
      facts: ['344 rows (public)'],
      columns: [
        { name: 'species', type: 'string', detail: 'Adelie, Chinstrap, Gentoo' },
        { name: 'body_mass_g', type: 'int', detail: '2,700 – 6,300 · nullable' }
      ]
    });
    expect(() => normalizeDatasetInfo({ name: 'x', accounting: 'pure' })).toThrow(
      /^The server answered, but dataset\.metadata: /
    );
  });
});

describe('chart spec for drawing', () => {
  const theme: ChartTheme = {
    dark: true,
    text: '#eee',
    muted: '#aaa',
    grid: '#444',
    accent: '#4af',
    font: 'sans-serif'
  };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'count by species',
    data: { values: [{ species: 'Adelie', count: 1 }] },
    layer: [],
    width: 'container'
  };

  it('fits the container, follows the theme and keeps the spec intact', () => {
    const out = themedSpec(spec, theme, 700);
    expect(out.width).toBe(660);
    expect(out.height).toBe(CHART_HEIGHT);
    expect(out.title).toBeUndefined();
    expect(out.autosize).toEqual({ type: 'fit-x', contains: 'padding' });
    expect(out.config).toMatchObject({
      background: 'transparent',
      axis: { labelColor: '#aaa' },
      bar: { color: '#4af' }
    });
    expect(out.data).toBe(spec.data);
    expect(spec.title).toBe('count by species');
    expect(spec.width).toBe('container');
  });

  it("keeps a spec's own size and config", () => {
    const out = themedSpec(
      { ...spec, width: 300, height: 100, config: { background: 'white' } },
      theme,
      700
    );
    expect(out.width).toBe(300);
    expect(out.height).toBe(100);
    expect((out.config as Record<string, unknown>).background).toBe('white');
    expect(themedSpec(spec, theme, 10).width).toBe(160);
  });
});
