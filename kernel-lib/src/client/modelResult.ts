/**
 * A fitted DP model in the notebook: plain numbers (coefficients, class statistics or centres),
 * what it cost, the noise it carries, and predict() / score() that run HERE, on arquero tables of
 * your own, dummy or synthetic data. Nothing runs on the private data after the release: the only
 * metrics about the training data are the noisy ones the server released (and charged).
 */
import * as aq from 'arquero';
import type { Budget, ModelFeatureInfo, ModelNoise, ModelRelease } from '../protocol';
import { escapeHtml, type MimeBundle } from './display';
import { costText } from './result';

type Table = ReturnType<typeof aq.table>;
type Value = unknown;

const VEGA_LITE_MIME = 'application/vnd.vegalite.v5+json';

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(5);
}

/** One feature's value of a row, clamped as in training; null when missing. */
function featureValue(f: ModelFeatureInfo, v: Value): number | null {
  if (v === null || v === undefined) return null;
  if (f.category !== undefined) return String(v) === f.category ? 1 : 0;
  if (f.indicator) return v === true ? 1 : v === false ? 0 : null;
  const x = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(x)) return null;
  return Math.min(f.bounds[1], Math.max(f.bounds[0], x));
}

function argmax(xs: number[]): number {
  let best = 0;
  xs.forEach((x, i) => {
    if (x > xs[best]) best = i;
  });
  return best;
}

export class Model {
  constructor(readonly release: ModelRelease) {}

  get kind(): ModelRelease['model'] {
    return this.release.model;
  }

  get cost(): Budget {
    return this.release.cost;
  }

  get noise(): ModelNoise[] {
    return this.release.noise;
  }

  get metrics(): ModelRelease['metrics'] {
    return this.release.metrics;
  }

  /** The model's parameters as released (JSON numbers). */
  get parameters(): ModelRelease['parameters'] {
    return this.release.parameters;
  }

  /**
   * Linear: { intercept, <feature>: coefficient, … }. Logistic: per class the same. Naive Bayes:
   * per class { prior, <feature>: mean }. k-means: per cluster { <feature>: centre }.
   */
  get coefficients(): Record<string, number> | Record<string, Record<string, number>> {
    const p = this.release.parameters;
    const names = this.release.features.map(f => f.name);
    const named = (xs: number[]) => Object.fromEntries(names.map((n, j) => [n, xs[j]]));
    const classes = (this.release.target?.classes ?? []).map(String);
    switch (p.model) {
      case 'linear':
        return { intercept: p.intercept, ...named(p.coefficients) };
      case 'logistic':
        return Object.fromEntries(
          classes.map((c, k) => [c, { intercept: p.intercepts[k], ...named(p.coefficients[k]) }])
        );
      case 'naive_bayes':
        return Object.fromEntries(
          classes.map((c, k) => [c, { prior: p.priors[k], ...named(p.means[k]) }])
        );
      case 'kmeans':
        return Object.fromEntries(p.centres.map((c, k) => [`cluster ${k}`, named(c)]));
    }
  }

  /** The features of every row (null when one is missing), read from the table's columns. */
  private rowsOf(table: Table): Array<number[] | null> {
    const names = table.columnNames();
    const missing = [...new Set(this.release.features.map(f => f.column))].filter(
      c => !names.includes(c)
    );
    if (missing.length > 0)
      throw new Error(
        `The table has no column ${missing.map(m => `"${m}"`).join(', ')}: derive it as the model's rows did (e.g. table.derive(...)) before predicting.`
      );
    const cols = this.release.features.map(f => table.array(f.column) as ArrayLike<Value>);
    const n = table.numRows();
    const out: Array<number[] | null> = [];
    for (let i = 0; i < n; i++) {
      const x = this.release.features.map((f, j) => featureValue(f, cols[j][i]));
      out.push(x.some(v => v === null) ? null : (x as number[]));
    }
    return out;
  }

  /** The prediction for one row of features (original units). */
  private predictOne(x: number[]): number | string | boolean {
    const p = this.release.parameters;
    const classes = this.release.target?.classes ?? [];
    switch (p.model) {
      case 'linear':
        return p.intercept + p.coefficients.reduce((s, b, j) => s + b * x[j], 0);
      case 'logistic':
        return classes[
          argmax(
            p.intercepts.map((b, k) => b + p.coefficients[k].reduce((s, w, j) => s + w * x[j], 0))
          )
        ];
      case 'naive_bayes':
        return classes[
          argmax(
            p.priors.map(
              (pr, k) =>
                Math.log(pr) -
                x.reduce(
                  (s, v, j) =>
                    s +
                    (v - p.means[k][j]) ** 2 / (2 * p.variances[k][j]) +
                    Math.log(p.variances[k][j]) / 2,
                  0
                )
            )
          )
        ];
      case 'kmeans':
        return this.nearest(x).index;
    }
  }

  /** k-means: the nearest centre on the normalised scale (as the fit measured distances). */
  private nearest(x: number[]): { index: number; distance: number } {
    const p = this.release.parameters;
    if (p.model !== 'kmeans') throw new Error('not a k-means model');
    const f = this.release.features;
    const norm = (v: number, j: number) =>
      (2 * v - (f[j].bounds[0] + f[j].bounds[1])) / (f[j].bounds[1] - f[j].bounds[0]);
    const distances = p.centres.map(c =>
      x.reduce((s, v, j) => s + (norm(v, j) - norm(c[j], j)) ** 2, 0)
    );
    const index = distances.indexOf(Math.min(...distances));
    return { index, distance: distances[index] };
  }

  /** Predictions for every row of an arquero table (null where a feature is missing). */
  predictions(table: Table): Array<number | string | boolean | null> {
    return this.rowsOf(table).map(x => (x === null ? null : this.predictOne(x)));
  }

  /** The table with a `prediction` column (the predicted value, class, or cluster index). */
  predict(table: Table, as = 'prediction'): Table {
    return table.assign(aq.table({ [as]: this.predictions(table) }));
  }

  /**
   * How well the model fits a table you hold (computed here, free): R² for a linear model,
   * accuracy for a classifier, −inertia (normalised scale) for k-means, as scikit-learn does.
   */
  score(table: Table): number {
    const rows = this.rowsOf(table);
    if (this.release.model === 'kmeans')
      return -rows.reduce((s, x) => (x === null ? s : s + this.nearest(x).distance), 0);
    const column = this.release.target?.column as string;
    if (!table.columnNames().includes(column))
      throw new Error(`The table has no target column "${column}".`);
    const y = table.array(column) as ArrayLike<Value>;
    const pairs: Array<[Value, number | string | boolean]> = [];
    rows.forEach((x, i) => {
      if (x !== null && y[i] !== null && y[i] !== undefined) pairs.push([y[i], this.predictOne(x)]);
    });
    if (pairs.length === 0) throw new Error('No complete rows to score.');
    if (this.release.model !== 'linear')
      return pairs.filter(([t, p]) => String(t) === String(p)).length / pairs.length;
    const ys = pairs.map(([t]) => Number(t));
    const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
    const ssTot = ys.reduce((s, v) => s + (v - mean) ** 2, 0);
    const ssRes = pairs.reduce((s, [t, p]) => s + (Number(t) - (p as number)) ** 2, 0);
    return 1 - ssRes / ssTot;
  }

  /**
   * A Vega-Lite v5 spec of a linear model with one numeric feature: the table's points and the
   * DP line across the feature's bounds. Plain JSON: render it with any Vega-Lite renderer.
   */
  chart(table: Table, opts: { title?: string; limit?: number } = {}): Record<string, unknown> {
    const p = this.release.parameters;
    const f = this.release.features;
    if (p.model !== 'linear' || f.length !== 1 || f[0].indicator)
      throw new Error('chart() draws a linear model with one numeric feature.');
    const x = f[0].column;
    const y = this.release.target?.column as string;
    const points = (table.objects({ limit: opts.limit ?? 2000 }) as Array<Record<string, unknown>>)
      .filter(r => typeof r[x] === 'number' && typeof r[y] === 'number')
      .map(r => ({ [x]: r[x], [y]: r[y] }));
    const line = f[0].bounds.map(v => ({ [x]: v, [y]: p.intercept + p.coefficients[0] * v }));
    return {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: opts.title ?? `${y} ~ ${x} (DP line, ${costText(this.release.cost)})`,
      width: 360,
      height: 240,
      layer: [
        {
          data: { values: points },
          mark: { type: 'point', opacity: 0.5 },
          encoding: {
            x: { field: x, type: 'quantitative', scale: { zero: false } },
            y: { field: y, type: 'quantitative', scale: { zero: false } }
          }
        },
        {
          data: { values: line },
          mark: { type: 'line', color: 'firebrick', strokeWidth: 2 },
          encoding: { x: { field: x, type: 'quantitative' }, y: { field: y, type: 'quantitative' } }
        }
      ]
    };
  }

  /** The chart as a display bundle (Vega-Lite, with a text fallback). */
  chartBundle(table: Table, opts: { title?: string; limit?: number } = {}): MimeBundle {
    return { [VEGA_LITE_MIME]: this.chart(table, opts), 'text/plain': this.toString() };
  }

  private parameterRows(): Array<[string, string]> {
    const c = this.coefficients as Record<string, unknown>;
    const p = this.release.parameters;
    return Object.entries(c).map(([k, v]) => {
      if (typeof v === 'number') {
        const se =
          p.model === 'linear'
            ? k === 'intercept'
              ? p.stdErrors.intercept
              : p.stdErrors.coefficients[this.release.features.findIndex(f => f.name === k)]
            : undefined;
        return [k, se === undefined ? num(v) : `${num(v)} ± ${num(se)}`];
      }
      return [
        k,
        Object.entries(v as Record<string, number>)
          .map(([n, x]) => `${n} ${num(x)}`)
          .join(', ')
      ];
    });
  }

  private metricText(): string {
    const m = this.release.metrics;
    const parts: string[] = [];
    if (m.rows !== undefined) parts.push(`rows ≈ ${Math.round(m.rows)}`);
    if (m.r2 !== undefined && m.r2 !== null)
      parts.push(`R² ≈ ${m.r2.value.toFixed(3)} (noise sd ${m.r2.noiseSd.toPrecision(2)})`);
    if (m.accuracy)
      parts.push(
        `training accuracy ≈ ${m.accuracy.value.toFixed(3)} (noise sd ${m.accuracy.noiseSd.toPrecision(2)})`
      );
    if (m.inertia)
      parts.push(
        `inertia ≈ ${m.inertia.value.toPrecision(4)} (noise sd ${m.inertia.noiseSd.toPrecision(2)})`
      );
    return parts.join(', ');
  }

  toString(): string {
    const r = this.release;
    return [
      `${r.title}${r.kind === 'dummy' ? ' (DUMMY DATA — not a real answer)' : ''}`,
      ...this.parameterRows().map(([k, v]) => `  ${k}: ${v}`),
      `${this.metricText()} — cost ${costText(r.cost)}`,
      ...r.notes.map(n => `  note: ${n}`)
    ].join('\n');
  }

  toHtml(): string {
    const r = this.release;
    const rows = this.parameterRows()
      .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`)
      .join('');
    const noise = r.noise
      .map(
        n =>
          `${escapeHtml(n.step)}${n.invocations > 1 ? ` ×${n.invocations}` : ''}: ${escapeHtml(n.mechanism)} scale ${escapeHtml(n.scale)}`
      )
      .join('; ');
    return `<div><b>${escapeHtml(r.title)}</b>${r.kind === 'dummy' ? ' <i>(dummy data)</i>' : ''}<table><tbody>${rows}</tbody></table><small>${escapeHtml(this.metricText())} — cost ${escapeHtml(costText(r.cost))} — noise: ${noise}</small></div>`;
  }

  mimeBundle(): MimeBundle {
    return { 'text/html': this.toHtml(), 'text/plain': this.toString() };
  }
}
