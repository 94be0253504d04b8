import { randomUUID } from 'node:crypto';
import type { EstimateResponse, ReleaseResponse } from '../protocol';
import { Display, escapeHtml } from './display';
import type { HttpClient } from './http';
import { costText, QueryResult } from './result';

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

  private display(): Display | null {
    return this.http.config.display ? new Display() : null;
  }

  private async withProgress<T>(
    label: string,
    work: () => Promise<T>,
    show: (t: T, d: Display) => void
  ): Promise<T> {
    const d = this.display();
    d?.show({ 'text/html': `<i>${escapeHtml(label)}…</i>`, 'text/plain': `${label}…` });
    try {
      const t = await work();
      if (d) show(t, d);
      return t;
    } catch (err) {
      d?.show({ 'text/plain': `${label} failed: ${(err as Error).message}` });
      throw err;
    }
  }

  async estimate(plan: unknown, front: FrontEnd = 'plan'): Promise<EstimateResponse> {
    return this.withProgress(
      'Estimating cost and accuracy',
      () => this.http.post<EstimateResponse>(ROUTES[front].estimate, plan),
      (e, d) => {
        const acc = e.mechanisms
          .map(
            m =>
              `${m.aggregation}${m.column ? `(${m.column})` : ''}: ±${m.halfWidth.toPrecision(4)} at ${Math.round(m.confidence * 100)}%`
          )
          .join('; ');
        const notes = e.mechanisms.filter(m => m.note).map(m => `${m.aggregation}: ${m.note}`);
        const text = [`cost ${costText(e.cost)} — ${acc} — nothing spent`, ...notes].join('\n');
        d.show({
          'text/html': `<div style="white-space:pre-line">${escapeHtml(text)}</div>`,
          'text/plain': text
        });
      }
    );
  }

  async dummy(plan: unknown, front: FrontEnd = 'plan'): Promise<QueryResult> {
    return this.withProgress(
      'Running on dummy data',
      async () => new QueryResult(await this.http.post<ReleaseResponse>(ROUTES[front].dummy, plan)),
      (r, d) => d.show(r.mimeBundle())
    );
  }

  async run(
    plan: unknown,
    opts: { idempotencyKey?: string } = {},
    front: FrontEnd = 'plan'
  ): Promise<QueryResult> {
    const key = opts.idempotencyKey ?? randomUUID();
    return this.withProgress(
      'Running query (spends budget)',
      async () =>
        new QueryResult(
          await this.http.post<ReleaseResponse>(ROUTES[front].run, plan, { 'Idempotency-Key': key })
        ),
      (r, d) => d.show(r.mimeBundle())
    );
  }
}
