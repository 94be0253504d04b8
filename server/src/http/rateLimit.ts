import type { NextFunction, Request, Response } from 'express';
import { LomasError } from 'lomas-kernel/protocol';
import type { Principal } from './principal';

/**
 * A token bucket per key: `capacity` tokens, refilled continuously at `perMinute` per minute.
 * Each request takes one token; with none left the request is refused with how long to wait.
 * In memory, per server process: with N replicas the effective limit is N × the configured one.
 */
export interface TokenBucketOptions {
  perMinute: number;
  /** Burst size; defaults to perMinute (a full minute's worth may arrive at once). */
  capacity?: number;
  /** Clock in milliseconds (injectable for tests). */
  now?: () => number;
  /** Buckets idle for this long are forgotten (bounded memory). Default 10 minutes. */
  idleMs?: number;
}

export interface TakeResult {
  ok: boolean;
  /** Whole seconds until a token is available (0 when ok). */
  retryAfter: number;
  remaining: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly ratePerMs: number;
  private readonly capacity: number;
  private readonly now: () => number;
  private readonly idleMs: number;
  private lastSweep: number;

  constructor(opts: TokenBucketOptions) {
    if (!(opts.perMinute > 0)) throw new RangeError('perMinute must be positive');
    this.ratePerMs = opts.perMinute / 60_000;
    this.capacity = Math.max(1, opts.capacity ?? opts.perMinute);
    this.now = opts.now ?? (() => performance.now());
    this.idleMs = opts.idleMs ?? 600_000;
    this.lastSweep = this.now();
  }

  take(key: string): TakeResult {
    const t = this.now();
    this.sweep(t);
    const b = this.buckets.get(key) ?? { tokens: this.capacity, at: t };
    b.tokens = Math.min(this.capacity, b.tokens + Math.max(0, t - b.at) * this.ratePerMs);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true, retryAfter: 0, remaining: Math.floor(b.tokens) };
    }
    const waitMs = (1 - b.tokens) / this.ratePerMs;
    return { ok: false, retryAfter: Math.max(1, Math.ceil(waitMs / 1000)), remaining: 0 };
  }

  get size(): number {
    return this.buckets.size;
  }

  private sweep(t: number): void {
    if (t - this.lastSweep < this.idleMs) return;
    this.lastSweep = t;
    for (const [k, b] of this.buckets) if (t - b.at >= this.idleMs) this.buckets.delete(k);
  }
}

/**
 * Express middleware: one bucket per credential (API key or signed-in user, the principal set by
 * `authenticate`), so mount it after authentication. Refusals are 429 RATE_LIMITED with a Retry-After header.
 */
export function rateLimit(opts: TokenBucketOptions | TokenBuckets) {
  const buckets = opts instanceof TokenBuckets ? opts : new TokenBuckets(opts);
  return (_req: Request, res: Response, next: NextFunction): void => {
    const p = res.locals.principal as Principal | undefined;
    if (!p) return next();
    const r = buckets.take(p.credential);
    if (!r.ok) {
      res.setHeader('Retry-After', String(r.retryAfter));
      throw new LomasError('RATE_LIMITED', { retryAfter: r.retryAfter });
    }
    next();
  };
}
