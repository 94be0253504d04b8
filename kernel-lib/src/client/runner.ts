import { randomUUID } from 'node:crypto';
import { LomasError, type EstimateResponse, type ReleaseResponse } from '../protocol';
import type { RunOptions } from '../query/runner';
import { Display, escapeHtml, INSPECT, markShown, MIME_BUNDLE, type MimeBundle } from './display';
import type { HttpClient } from './http';
import { accuracyText, costText, QueryResult } from './result';

/** What happened to the budget when a run failed: said once, next to the error tslab prints. */
export type Charge = 'not charged' | 'charged' | 'unknown';

/**
 * A failed run was charged when the server says so (a failure after the charge names its query);
 * an answer that never came may or may not have been charged; any other refusal came before the
 * charge.
 */
export function chargeOf(err: unknown): Charge {
  if (!(err instanceof LomasError)) return 'unknown';
  if (typeof err.details.queryId === 'string') return 'charged';
  if (err.details.noAnswer === true) return 'unknown';
  return 'not charged';
}

function failureLine(what: 'estimate' | 'dummy' | 'run', err: unknown, key: string): string {
  if (what === 'estimate') return 'No estimate (free: nothing was spent). The error follows.';
  if (what === 'dummy') return 'The dummy run failed (free: nothing was spent). The error follows.';
  switch (chargeOf(err)) {
    case 'charged':
      return `The query was charged, then failed on the server (query ${String((err as LomasError).details.queryId)}): the charge stands, so that a failure reveals nothing for free. The error follows.`;
    case 'unknown':
      return `No answer from the server: the query may have been charged. To get its answer without a second charge, run it again with .run({ idempotencyKey: "${key}" }). The error follows.`;
    default:
      return 'The query was refused before it touched the data: nothing was spent. The error follows.';
  }
}

/** "cost ε=0.5, δ=0 — count: ±6 at 95% — nothing spent". */
export function estimateText(e: EstimateResponse): string {
  const acc = e.mechanisms
    .map(m => `${m.aggregation}${m.column ? `(${m.column})` : ''}: ${accuracyText(m)}`)
    .join('; ');
  return `cost ${costText(e.cost)} — ${acc} — nothing spent`;
}

function estimateBundle(e: EstimateResponse): MimeBundle {
  const text = estimateText(e);
  return {
    'text/html': `<div style="white-space:pre-line">${escapeHtml(text)}</div>`,
    'text/plain': text
  };
}

/** The estimate as the server sent it, which also knows how it looks (hidden from JSON). */
function displayableEstimate(e: EstimateResponse): EstimateResponse {
  Object.defineProperty(e, MIME_BUNDLE, { value: () => estimateBundle(e) });
  Object.defineProperty(e, INSPECT, { value: () => estimateText(e) });
  return e;
}

/** The routes of each front end: plans (the builder) and SQL (compiled by the server). */
const ROUTES = {
  plan: { estimate: '/v1/queries/estimate', dummy: '/v1/queries/dummy', run: '/v1/queries' },
  sql: {
    estimate: '/v1/queries/sql/estimate',
    dummy: '/v1/queries/sql/dummy',
    run: '/v1/queries/sql'
  }
} as const;

export type FrontEnd = keyof typeof ROUTES;

/**
 * Sends queries to the server: estimate (free), dummy (free), run (spends). Shows progress and
 * results. The body is a plan, or an SQL request (`front` = 'sql').
 */
export class Runner {
  constructor(private readonly http: HttpClient) {}

  [INSPECT](): string {
    return 'Runner';
  }

  toJSON(): Record<string, never> {
    return {};
  }

  private display(override?: boolean): Display | null {
    return (override ?? this.http.config.display) ? new Display() : null;
  }

  /**
   * Progress, then the result in its place. A failure replaces the progress with what happened to
   * the budget, and the error itself is thrown: the kernel prints it, once.
   */
  private async withProgress<T>(
    label: string,
    work: () => Promise<T>,
    show: (t: T, d: Display) => void,
    onFailure: (err: unknown) => string,
    display?: boolean
  ): Promise<T> {
    const d = this.display(display);
    d?.show({ 'text/html': `<i>${escapeHtml(label)}…</i>`, 'text/plain': `${label}…` });
    try {
      const t = await work();
      if (d) show(t, d);
      return t;
    } catch (err) {
      const line = onFailure(err);
      d?.show({ 'text/html': `<i>${escapeHtml(line)}</i>`, 'text/plain': line });
      throw err;
    }
  }

  async estimate(plan: unknown, front: FrontEnd = 'plan'): Promise<EstimateResponse> {
    return this.withProgress(
      'Estimating cost and accuracy (free)',
      async () =>
        displayableEstimate(await this.http.post<EstimateResponse>(ROUTES[front].estimate, plan)),
      (e, d) => {
        d.show(estimateBundle(e));
        markShown(e);
      },
      err => failureLine('estimate', err, '')
    );
  }

  async dummy(plan: unknown, front: FrontEnd = 'plan'): Promise<QueryResult> {
    return this.withProgress(
      'Running on dummy data (free)',
      async () => new QueryResult(await this.http.post<ReleaseResponse>(ROUTES[front].dummy, plan)),
      (r, d) => {
        d.show(r.mimeBundle());
        markShown(r);
      },
      err => failureLine('dummy', err, '')
    );
  }

  async run(plan: unknown, opts: RunOptions = {}, front: FrontEnd = 'plan'): Promise<QueryResult> {
    const key = opts.idempotencyKey ?? randomUUID();
    return this.withProgress(
      'Running query (spends budget)',
      async () =>
        new QueryResult(
          await this.http.post<ReleaseResponse>(ROUTES[front].run, plan, { 'Idempotency-Key': key })
        ),
      (r, d) => {
        d.show(r.mimeBundle());
        markShown(r);
      },
      err => {
        if (err instanceof LomasError) err.details.charged = chargeOf(err);
        return failureLine('run', err, key);
      },
      opts.display
    );
  }
}
