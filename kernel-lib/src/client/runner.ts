import { randomUUID } from 'node:crypto';
import {
  LomasError,
  type ChargeStatus,
  type EstimateResponse,
  type ReleaseResponse
} from '../protocol';
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

/** What an interrupted run says; the same three cases as a failed one (chargeOf). */
function interruptedLine(err: LomasError, key: string): string {
  const again = `run the same query again with .run({ idempotencyKey: "${key}" })`;
  switch (chargeOf(err)) {
    case 'charged':
      return `Interrupted after the server charged the query (query ${String(err.details.queryId)}): the charge stands and the server finishes the query. To get its answer without a second charge, ${again}.`;
    case 'unknown':
      return `Interrupted; the server could not be asked whether it had charged the query. To get its answer without a second charge if it had, ${again}.`;
    default:
      return 'Interrupted before the server charged the query: nothing was spent.';
  }
}

function failureLine(what: 'estimate' | 'dummy' | 'run', err: unknown, key: string): string {
  const interrupted = err instanceof LomasError && err.code === 'CANCELLED';
  if (what === 'estimate')
    return interrupted
      ? 'Interrupted (an estimate is free: nothing was spent).'
      : 'No estimate (free: nothing was spent). The error follows.';
  if (what === 'dummy')
    return interrupted
      ? 'Interrupted (a dummy run is free: nothing was spent).'
      : 'The dummy run failed (free: nothing was spent). The error follows.';
  if (interrupted) return interruptedLine(err, key);
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

/** After this long, a request in progress says, every second, for how long it has run. */
const MOMENT_MS = 1000;

function progressBundle(label: string, ms?: number): MimeBundle {
  const text =
    ms === undefined
      ? `${label}…`
      : `${label}… ${Math.round(ms / 1000)} s (interrupt the kernel, ■, to stop it)`;
  return { 'text/html': `<i>${escapeHtml(text)}</i>`, 'text/plain': text };
}

function italic(line: string): MimeBundle {
  return { 'text/html': `<i>${escapeHtml(line)}</i>`, 'text/plain': line };
}

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
   * Progress (with the time it has run, after a moment), then the result in its place. A failure
   * replaces the progress with what happened to the budget, and the error itself is thrown: the
   * kernel prints it, once. `explain` may refine the error first (an interrupted run asks the
   * server whether it had charged the query).
   */
  private async withProgress<T>(
    label: string,
    work: () => Promise<T>,
    show: (t: T, d: Display) => void,
    onFailure: (err: unknown) => string,
    display?: boolean,
    explain: (err: unknown) => Promise<unknown> = async err => err
  ): Promise<T> {
    const d = this.display(display);
    d?.show(progressBundle(label));
    const started = Date.now();
    const ticker = d
      ? setInterval(() => d.show(progressBundle(label, Date.now() - started)), MOMENT_MS)
      : undefined;
    let t: T;
    try {
      t = await work();
    } catch (err) {
      clearInterval(ticker);
      const error = await explain(err);
      const line = onFailure(error);
      d?.show(italic(line));
      throw error;
    }
    clearInterval(ticker);
    if (d) show(t, d);
    return t;
  }

  /** An interrupted run: did the server charge it? (GET /v1/charges/{key}, free). */
  private async interrupted(err: unknown, key: string): Promise<unknown> {
    if (!(err instanceof LomasError) || err.code !== 'CANCELLED') return err;
    let status: ChargeStatus | null | undefined;
    try {
      status = await this.http.get<ChargeStatus>(`/v1/charges/${encodeURIComponent(key)}`);
    } catch (e) {
      status = e instanceof LomasError && e.code === 'NOT_FOUND' ? null : undefined;
    }
    const facts = { what: 'query' };
    if (status === null)
      return new LomasError(
        'CANCELLED',
        { ...facts, outcome: 'The server had not charged it: nothing was spent.' },
        { idempotencyKey: key }
      );
    if (status === undefined)
      return new LomasError(
        'CANCELLED',
        {
          ...facts,
          outcome: `Whether it was charged is unknown: to get its answer without a second charge if it was, run it again with .run({ idempotencyKey: "${key}" }).`
        },
        { idempotencyKey: key, noAnswer: true }
      );
    return new LomasError(
      'CANCELLED',
      {
        ...facts,
        outcome: `The server had already charged it (${costText(status.cost)}; query ${status.queryId}) and finishes it: run it again with .run({ idempotencyKey: "${key}" }) to get its answer without a second charge.`
      },
      { idempotencyKey: key, queryId: status.queryId }
    );
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
        d.showAll(r.displays());
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
        d.showAll(r.displays());
        markShown(r);
      },
      err => {
        if (err instanceof LomasError) err.details.charged = chargeOf(err);
        return failureLine('run', err, key);
      },
      opts.display,
      err => this.interrupted(err, key)
    );
  }
}
