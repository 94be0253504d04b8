import type { NextFunction, Request, Response } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { routeLabeler } from './openapi';

/**
 * Prometheus metrics, in a registry of their own (no global state, so tests can build many apps).
 * Labels are bounded: routes are the templates of the route table ("unmatched" otherwise),
 * datasets appear only on successful charges and budget rejections (names the server knows).
 */
export interface Metrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  latency: Histogram<'method' | 'route' | 'status'>;
  charges: Counter<'dataset'>;
  budgetRejections: Counter<'dataset' | 'code'>;
  /** Express middleware recording every request; mount it first. */
  middleware: (req: Request, res: Response, next: NextFunction) => void;
  /** The text exposition. */
  render(): Promise<{ contentType: string; body: string }>;
}

const BUDGET_CODES = new Set(['BUDGET_EXHAUSTED', 'DATASET_CAP_EXHAUSTED']);
const DATASET_LABEL = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function createMetrics(opts: { defaultMetrics?: boolean; prefix?: string } = {}): Metrics {
  const prefix = opts.prefix ?? 'lomas_';
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix });
  const requests = new Counter({
    name: `${prefix}http_requests_total`,
    help: 'HTTP requests by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry]
  });
  const latency = new Histogram({
    name: `${prefix}http_request_duration_seconds`,
    help: 'HTTP request latency by route template and status (includes timing protection)',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry]
  });
  const charges = new Counter({
    name: `${prefix}privacy_charges_total`,
    help: 'Queries answered with a charge to the privacy ledger',
    labelNames: ['dataset'] as const,
    registers: [registry]
  });
  const budgetRejections = new Counter({
    name: `${prefix}budget_rejections_total`,
    help: 'Queries refused because a grant or a dataset cap was exhausted',
    labelNames: ['dataset', 'code'] as const,
    registers: [registry]
  });
  const label = routeLabeler();

  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    const method = req.method;
    const route = label(method, req.path);
    // Peek at JSON bodies to count charges and budget rejections (no data is kept).
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      try {
        const b = body as {
          code?: unknown;
          details?: { dataset?: unknown };
          dataset?: unknown;
          kind?: unknown;
        };
        if (res.statusCode >= 400 && typeof b?.code === 'string' && BUDGET_CODES.has(b.code)) {
          const ds =
            typeof b.details?.dataset === 'string' && DATASET_LABEL.test(b.details.dataset)
              ? b.details.dataset
              : 'unknown';
          budgetRejections.inc({ dataset: ds, code: b.code });
        } else if (
          res.statusCode < 300 &&
          method === 'POST' &&
          route === '/v1/queries' &&
          b?.kind === 'release'
        ) {
          const ds =
            typeof b.dataset === 'string' && DATASET_LABEL.test(b.dataset) ? b.dataset : 'unknown';
          charges.inc({ dataset: ds });
        }
      } catch {
        // metrics never break a response
      }
      return json(body);
    };
    res.on('finish', () => {
      const labels = { method, route, status: String(res.statusCode) };
      requests.inc(labels);
      latency.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };

  return {
    registry,
    requests,
    latency,
    charges,
    budgetRejections,
    middleware,
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    }
  };
}
