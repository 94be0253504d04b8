import * as aq from 'arquero';
import { randomUUID } from 'node:crypto';
import {
  mechanismName,
  parseSyntheticRequest,
  RESULT_MIME,
  type Budget,
  type ResultBundle,
  type SyntheticAccuracy,
  type SyntheticEstimate,
  type SyntheticModel,
  type SyntheticRelease,
  type SyntheticRequest
} from '../protocol';
import { Display, escapeHtml, type MimeBundle } from './display';
import type { HttpClient } from './http';
import { costText } from './result';

type Table = ReturnType<typeof aq.table>;

/** What `dataset.synthetic(...)` takes: rows, a budget (ε, or ρ, or ε and δ with gaussian), options. */
export interface SyntheticOptions {
  rows: number;
  epsilon?: number | string;
  delta?: number | string;
  rho?: number | string;
  /** Columns to model (default: every column with public bounds or categories). */
  columns?: string[];
  /** Bins of numeric and datetime columns (default 10). */
  bins?: number;
  mechanism?: 'laplace' | 'gaussian';
  /** Level of the reported noise intervals (default 0.95). */
  confidence?: number;
}

/** Rows shown in a notebook's preview of a synthetic table (the table itself has them all). */
const PREVIEW_ROWS = 10;
const VEGA_LITE = 'application/vnd.vegalite.v5+json';

/** A differentially private synthetic table: an arquero table plus what it cost and how accurate it is. */
export class SyntheticResult {
  constructor(readonly release: SyntheticRelease) {}

  /** Every synthetic row as an arquero table (post-processing it is free). */
  get table(): Table {
    return aq.table(this.release.data);
  }
  get cost(): Budget {
    return this.release.cost;
  }
  get accuracy(): SyntheticAccuracy {
    return this.release.accuracy;
  }
  get model(): SyntheticModel {
    return this.release.model;
  }
  /** Fetch the same table again later, for free: `dataset.syntheticTable(queryId)`. */
  get queryId(): string | undefined {
    return this.release.queryId;
  }

  private summary(): string[] {
    const r = this.release;
    const tree = r.model.tree?.map(([a, b]) => `${a}–${b}`).join(', ') ?? '';
    const worst = Math.max(0, ...r.accuracy.marginals.map(m => m.expectedTv ?? 0));
    const mech = r.mechanisms
      .map(m => `${m.aggregation}: ${mechanismName(m.mechanism)}, scale ${m.scale}`)
      .join('; ');
    return [
      `${r.title}${r.kind === 'dummy' ? ' (learnt from DUMMY DATA — not the real distribution)' : ''}`,
      `cost: ${costText(r.cost)} — ${mech}`,
      `pairs measured (the tree): ${tree || 'none'}; largest expected TV distance of a measured marginal: ${worst.toFixed(3)}`,
      ...(r.queryId ? [`fetch it again for free: dataset.syntheticTable("${r.queryId}")`] : [])
    ];
  }

  toString(): string {
    return [...this.summary(), this.table.toMarkdown({ limit: PREVIEW_ROWS })].join('\n');
  }

  toHtml(): string {
    const lines = this.summary()
      .map(l => `<div>${escapeHtml(l)}</div>`)
      .join('');
    return `<div>${lines}${this.table.toHTML({ limit: PREVIEW_ROWS })}</div>`;
  }

  /** The Lomas renderer's bundle: the first rows as a preview, the cost and the noise of each stage. */
  resultBundle(): ResultBundle {
    const r = this.release;
    const rows = Array.from({ length: Math.min(PREVIEW_ROWS, r.rows) }, (_, i) =>
      Object.fromEntries(r.columns.map(c => [c.name, r.data[c.name][i]]))
    );
    return {
      version: 1,
      kind: r.kind,
      dataset: r.dataset,
      queryId: r.queryId,
      title: `${r.title} (first ${rows.length} rows)`,
      columns: r.columns.map(c => ({
        name: c.name,
        role: 'value',
        type: c.type === 'datetime' ? 'string' : c.type
      })),
      rows,
      cost: r.cost,
      mechanisms: r.mechanisms,
      budget: r.budget
    };
  }

  mimeBundle(): MimeBundle {
    return {
      [RESULT_MIME]: this.resultBundle(),
      'text/html': this.toHtml(),
      'text/plain': this.toString()
    };
  }
}

function requestOf(dataset: string, o: SyntheticOptions): SyntheticRequest {
  const budget =
    o.rho !== undefined
      ? { rho: o.rho }
      : {
          epsilon: o.epsilon as number | string,
          ...(o.delta !== undefined ? { delta: o.delta } : {})
        };
  const request = {
    version: 1,
    dataset,
    rows: o.rows,
    budget,
    ...(o.columns ? { columns: o.columns } : {}),
    ...(o.bins !== undefined ? { bins: o.bins } : {}),
    ...(o.mechanism ? { mechanism: o.mechanism } : {}),
    ...(o.confidence !== undefined ? { confidence: o.confidence } : {})
  };
  // The protocol's own rules, checked before anything is sent (the server checks them again).
  return parseSyntheticRequest(request);
}

async function withProgress<T>(
  http: HttpClient,
  label: string,
  work: () => Promise<T>,
  show: (t: T) => MimeBundle
): Promise<T> {
  const d = http.config.display ? new Display() : null;
  d?.show({ 'text/html': `<i>${escapeHtml(label)}…</i>`, 'text/plain': `${label}…` });
  try {
    const t = await work();
    d?.show(show(t));
    return t;
  } catch (err) {
    d?.show({ 'text/plain': `${label} failed: ${(err as Error).message}` });
    throw err;
  }
}

function estimateBundle(e: SyntheticEstimate): MimeBundle {
  const lines = [
    `cost ${costText(e.cost)} — nothing spent`,
    ...e.mechanisms.map(
      m =>
        `${m.aggregation}: ${mechanismName(m.mechanism)}, ±${m.halfWidth.toPrecision(4)} at ${Math.round(m.confidence * 100)}%${m.note ? ` (${m.note})` : ''}`
    ),
    ...(e.model.omitted.length
      ? [`left out: ${e.model.omitted.map(o => `${o.column} (${o.reason})`).join(', ')}`]
      : [])
  ];
  const text = lines.join('\n');
  return {
    'text/html': `<div style="white-space:pre-line">${escapeHtml(text)}</div>`,
    'text/plain': text
  };
}

/**
 * A synthetic-table request on a dataset: `estimate()` (cost and noise, free), `dummy()` (the same
 * synthesis learnt from dummy data, free), `run()` (learnt from the private data: spends budget).
 */
export class SyntheticRequestBuilder {
  readonly request: SyntheticRequest;
  constructor(
    dataset: string,
    private readonly http: HttpClient,
    options: SyntheticOptions
  ) {
    this.request = requestOf(dataset, options);
  }

  estimate(): Promise<SyntheticEstimate> {
    return withProgress(
      this.http,
      'Estimating the cost of a synthetic table',
      () => this.http.post<SyntheticEstimate>('/v1/synthetic/estimate', this.request),
      estimateBundle
    );
  }

  dummy(): Promise<SyntheticResult> {
    return withProgress(
      this.http,
      'Synthesizing from dummy data',
      async () =>
        new SyntheticResult(
          await this.http.post<SyntheticRelease>('/v1/synthetic/dummy', this.request)
        ),
      r => r.mimeBundle()
    );
  }

  run(opts: { idempotencyKey?: string } = {}): Promise<SyntheticResult> {
    const key = opts.idempotencyKey ?? randomUUID();
    return withProgress(
      this.http,
      'Synthesizing (spends budget)',
      async () =>
        new SyntheticResult(
          await this.http.post<SyntheticRelease>('/v1/synthetic', this.request, {
            'Idempotency-Key': key
          })
        ),
      r => r.mimeBundle()
    );
  }
}

/** A synthetic table paid for earlier, from the server's archive (free). */
export async function archivedSynthetic(
  http: HttpClient,
  queryId: string
): Promise<SyntheticResult> {
  return new SyntheticResult(
    await http.get<SyntheticRelease>(`/v1/synthetic/${encodeURIComponent(queryId)}`)
  );
}

export interface CompareEncoding {
  /** Column on the x axis (quantitative or nominal, from the values). */
  x: string;
  /** Column on the y axis; without it each panel is a histogram of x. */
  y?: string;
  /** Column for colours (nominal). */
  color?: string;
}

function fieldType(t: Table, name: string): 'quantitative' | 'nominal' {
  const v = t.array(name).find(x => x !== null && x !== undefined);
  return typeof v === 'number' ? 'quantitative' : 'nominal';
}

/**
 * A Vega-Lite v5 spec drawing tables side by side with the same encoding (shared scales), e.g. a
 * synthetic table beside the dummy one. At most `limit` rows of each table are drawn.
 */
export function compareChart(
  panels: ReadonlyArray<{ title: string; table: Table }>,
  enc: CompareEncoding,
  limit = 5000
): Record<string, unknown> {
  const first = panels[0].table;
  const xType = fieldType(first, enc.x);
  const encoding: Record<string, unknown> = enc.y
    ? {
        x: { field: enc.x, type: xType, scale: { zero: false } },
        y: { field: enc.y, type: fieldType(first, enc.y), scale: { zero: false } }
      }
    : {
        x: { field: enc.x, type: xType, ...(xType === 'quantitative' ? { bin: true } : {}) },
        y: { aggregate: 'count', type: 'quantitative' }
      };
  if (enc.color) encoding.color = { field: enc.color, type: 'nominal' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    resolve: { scale: { x: 'shared', y: 'shared' } },
    hconcat: panels.map(p => ({
      title: p.title,
      width: 260,
      height: 220,
      data: { values: p.table.slice(0, limit).objects() },
      mark: enc.y ? { type: 'point', opacity: 0.6, tooltip: true } : { type: 'bar', tooltip: true },
      encoding
    }))
  };
}

/** Shows a Vega-Lite spec in the notebook (JupyterLab's built-in renderer), with a text fallback. */
export function showChart(spec: Record<string, unknown>, description = 'Vega-Lite chart'): void {
  new Display().show({ [VEGA_LITE]: spec, 'text/plain': description });
}
