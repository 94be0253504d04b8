import { randomInt } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { apiRoutes } from './openapi';

/**
 * Timing protection for routes that touch private data: the response (success or error) is held
 * until at least `minLatencyMs` plus a random jitter in [0, jitterMs] has passed since the request
 * arrived, so how long a query took says little about the data. The jitter comes from node:crypto.
 */
/**
 * The server's default timing protection (LOMAS_MIN_LATENCY_MS, LOMAS_LATENCY_JITTER_MS): chosen
 * from measured latencies, see docs/SECURITY.md, "Timing side channels".
 */
export const TIMING_DEFAULTS = { minLatencyMs: 250, jitterMs: 50 } as const;

export interface TimingOptions {
  minLatencyMs: number;
  jitterMs: number;
  /** Which requests are protected. Default: POST /v1/queries, /v1/queries/sql, /v1/synthetic, /v1/models, /lomas/smartnoise_sql_query and their dummy forms. */
  applies?: (req: Request) => boolean;
  /** Injectable for tests. */
  now?: () => number;
  /** Uniform integer in [0, max] (inclusive). Default: crypto.randomInt. */
  jitter?: (max: number) => number;
}

/**
 * The routes marked `private` in the route table (they read private data), with and without a
 * trailing slash (Express matches both). Read from the table, so a new private route is covered.
 */
const PROTECTED = new Set(
  apiRoutes()
    .filter(r => r.private)
    .flatMap(r => {
      if (r.method !== 'post' || r.path.includes('{'))
        throw new Error(`timing protection covers POST routes without parameters: ${r.path}`);
      return [r.path, `${r.path}/`];
    })
);

export function touchesPrivateData(req: Request): boolean {
  return req.method === 'POST' && PROTECTED.has(req.path);
}

/** Uniform integer in [0, max] from node:crypto (the CSPRNG; no predictable generator). */
export function cryptoJitter(max: number): number {
  return max <= 0 ? 0 : randomInt(0, max + 1);
}

/** The delay target for one request: minimum plus jitter. */
export function latencyTarget(
  opts: Pick<TimingOptions, 'minLatencyMs' | 'jitterMs' | 'jitter'>
): number {
  return opts.minLatencyMs + (opts.jitterMs > 0 ? (opts.jitter ?? cryptoJitter)(opts.jitterMs) : 0);
}

/**
 * Middleware holding `res.end` until the target latency has passed. Mount it before anything that
 * can answer these routes (authentication, body parsing) so that errors are held too.
 */
export function timingProtection(opts: TimingOptions) {
  const applies = opts.applies ?? touchesPrivateData;
  const now = opts.now ?? (() => performance.now());
  const off = opts.minLatencyMs <= 0 && opts.jitterMs <= 0;
  return (req: Request, res: Response, next: NextFunction): void => {
    if (off || !applies(req)) return next();
    const start = now();
    const target = latencyTarget(opts);
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    let held = false;
    (res as { end: unknown }).end = (...args: unknown[]): Response => {
      if (held) return res;
      const wait = target - (now() - start);
      if (wait <= 0) return end(...args);
      held = true;
      setTimeout(() => end(...args), wait);
      return res;
    };
    next();
  };
}
