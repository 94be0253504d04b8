import { inKernel } from './display';

/**
 * The kernel's stop button aborts the notebook's requests to Lomas. Jupyter interrupts a tslab
 * kernel with SIGINT; tslab's own handler only stops waiting for the cell (the request would go
 * on, and a query would still be charged and answered with nobody listening). Inside a kernel,
 * a second SIGINT listener aborts every request in flight, so the server can drop a query that
 * has not reached its charge yet.
 *
 * The registry lives on globalThis: the kernel and a notebook may load two copies of this module.
 */
interface Registry {
  inFlight: Set<AbortController>;
  hooked: boolean;
}

const KEY = Symbol.for('lomas.interrupt');

function registry(): Registry {
  const g = globalThis as { [KEY]?: Registry };
  g[KEY] ??= { inFlight: new Set(), hooked: false };
  return g[KEY];
}

/** Aborts every request in flight (what SIGINT does inside a kernel). */
export function interruptRequests(): void {
  const r = registry();
  for (const c of r.inFlight) c.abort();
  r.inFlight.clear();
}

/**
 * Listens to SIGINT, once per process, and only inside a kernel: there tslab already keeps SIGINT
 * from ending the process; in a plain Node script it must keep doing so.
 */
function hookSigint(): void {
  const r = registry();
  if (r.hooked || !inKernel()) return;
  r.hooked = true;
  process.on('SIGINT', interruptRequests);
}

/** Runs one request that the kernel's interrupt aborts. */
export async function interruptible<T>(request: (signal: AbortSignal) => Promise<T>): Promise<T> {
  hookSigint();
  const controller = new AbortController();
  const r = registry();
  r.inFlight.add(controller);
  try {
    return await request(controller.signal);
  } finally {
    r.inFlight.delete(controller);
  }
}
