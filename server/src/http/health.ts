import { Router } from 'express';
import { StatusBody } from 'lomas-kernel/protocol';
import type { Store } from '../store/types';

/**
 * Liveness (/health: the process answers) and readiness (/ready: the store answers and the server
 * is not stopping). Public, and they say nothing but {status}.
 */
export interface HealthOptions {
  store: Store;
  /** False while starting or stopping (graceful shutdown flips it first). */
  isReady?: () => boolean;
  /** Give up on a store that does not answer within this many ms. Default 2000. */
  timeoutMs?: number;
}

export async function storeReachable(store: Store, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>(resolve => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    // A point lookup of a name no user can have (user names start with a letter or digit).
    const probe = store.getUser('_ready_probe').then(
      () => true,
      () => false
    );
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(opts: HealthOptions): Router {
  const r = Router();
  r.get('/health', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(StatusBody.parse({ status: 'ok' }));
  });
  r.get('/ready', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const ready = (opts.isReady?.() ?? true) && (await storeReachable(opts.store, opts.timeoutMs));
    res.status(ready ? 200 : 503).json(StatusBody.parse({ status: ready ? 'ok' : 'unavailable' }));
  });
  return r;
}
