import type { NextFunction, Request, Response } from 'express';
import { LomasError } from 'lomas-kernel/protocol';
import type { Store } from '../store/types';
import type { Principal } from './principal';

/** Counts requests per key and says whether one more may pass. */
export interface RateLimiter {
  take(key: string): TakeResult | Promise<TakeResult>;
}

/**
 * A token bucket per key: `capacity` tokens, refilled continuously at `perMinute` per minute.
 * Each request takes one token; with none left the request is refused with how long to wait.
 * In memory, per server process: with N replicas the effective limit is N × the configured one
 * (LOMAS_RATE_LIMIT_SCOPE=process). SharedWindows is the limit shared by every replica.
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

export class TokenBuckets implements RateLimiter {
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

export interface SharedWindowOptions {
  perMinute: number;
  /** Length of a window in ms (default 60 000): perMinute × windowMs / 60 000 requests each. */
  windowMs?: number;
  /** Wall clock, ms since the epoch: all servers number windows alike (keep clocks in sync). */
  now?: () => number;
  /** Called when forgetting old windows fails (harmless: the next window tries again). */
  onPurgeError?: (err: unknown) => void;
}

/**
 * A rate limit shared by every server on one store, safe without atomic updates or transactions
 * (FerretDB has neither). Time is cut into fixed windows; the requests of a key in a window take
 * numbered slots 1, 2, …, limit, and a slot is taken by inserting it under the store's unique
 * key (key, window, n), the same atomic step as the ledger's (dataset, seq). A slot taken
 * elsewhere makes the insert conflict and the next one is tried; a request passes only with a slot
 * of its own, so at most `limit` requests of a key pass per window across all servers, exactly.
 *
 * Cost: an admitted request is one insert, plus one conflicting insert per slot another server
 * took since this one last looked (each server tries each slot at most once per window: the
 * next slot to try is claimed synchronously, so a server's concurrent requests never collide
 * with each other). Once a server has seen the window full it refuses locally, with no store
 * access, until the window turns. Like the token bucket with capacity perMinute, a window admits
 * its whole quota at once, so any 60 s span sees at most 2 × perMinute.
 */
export class SharedWindows implements RateLimiter {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  /** Per key: the window it was last seen in and the next slot this server will try there. */
  private readonly next = new Map<string, { window: number; n: number }>();
  private current = -Infinity;

  constructor(
    private readonly store: Pick<Store, 'takeRateSlot' | 'purgeRateSlots'>,
    private readonly opts: SharedWindowOptions
  ) {
    if (!(opts.perMinute > 0)) throw new RangeError('perMinute must be positive');
    this.windowMs = opts.windowMs ?? 60_000;
    if (!(this.windowMs >= 1000)) throw new RangeError('windowMs must be at least 1000');
    this.limit = Math.max(1, Math.floor((opts.perMinute * this.windowMs) / 60_000));
    this.now = opts.now ?? (() => Date.now());
  }

  async take(key: string): Promise<TakeResult> {
    const t = this.now();
    const window = Math.floor(t / this.windowMs);
    if (window > this.current) this.turn(window);
    let state = this.next.get(key);
    if (!state || state.window !== window) {
      state = { window, n: 1 };
      this.next.set(key, state);
    }
    while (state.n <= this.limit) {
      const n = state.n++;
      if ((await this.store.takeRateSlot({ key, window, n })) === 'ok')
        return { ok: true, retryAfter: 0, remaining: this.limit - n };
    }
    const waitMs = (window + 1) * this.windowMs - t;
    return { ok: false, retryAfter: Math.max(1, Math.ceil(waitMs / 1000)), remaining: 0 };
  }

  /** A new window: forget the keys of older ones here, and their slots in the store. */
  private turn(window: number): void {
    this.current = window;
    for (const [key, s] of this.next) if (s.window < window) this.next.delete(key);
    // The previous window is kept for servers whose clocks are slightly behind.
    this.store.purgeRateSlots(window - 1).catch(err => this.opts.onPurgeError?.(err));
  }
}

/**
 * Express middleware: one count per credential (API key or signed-in user, the principal set by
 * `authenticate`), so mount it after authentication. Refusals are 429 RATE_LIMITED with a
 * Retry-After header. Takes the options of an in-process token bucket, or any RateLimiter.
 */
export function rateLimit(opts: TokenBucketOptions | RateLimiter) {
  const limiter: RateLimiter = 'take' in opts ? opts : new TokenBuckets(opts);
  return async (_req: Request, res: Response, next: NextFunction): Promise<void> => {
    const p = res.locals.principal as Principal | undefined;
    if (!p) return next();
    const r = await limiter.take(p.credential);
    if (!r.ok) {
      res.setHeader('Retry-After', String(r.retryAfter));
      throw new LomasError('RATE_LIMITED', { retryAfter: r.retryAfter });
    }
    next();
  };
}
