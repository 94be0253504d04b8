import { LomasError } from 'lomas-kernel/protocol';

/**
 * Admission of charged requests (queries, synthetic tables). At most `limit` of them run at once,
 * from their charge to their archived answer; the others wait in arrival order BEFORE their
 * charge. A request whose client has gone (the analyst interrupted the kernel) leaves the queue,
 * or is dropped when admitted, right before the charge: it costs nothing. Once charged, a request
 * runs to its end even if nobody waits for it, so its answer is archived for a retry with the
 * same Idempotency-Key.
 *
 * It also knows which idempotency keys are on their way to the ledger in this process, so that
 * "was this request charged?" (GET /v1/charges/{key}) is answered once such a request has passed
 * its charge step, never while the charge may still happen.
 */
export interface Admission {
  /** Waits for a slot; CANCELLED (nothing charged) when `signal` aborts first. */
  admit(user: string, idempotencyKey: string | null, signal?: AbortSignal): Promise<Ticket>;
  /** Resolves once no request of `user` with this key is queued or in its charge step here. */
  settled(user: string, idempotencyKey: string): Promise<void>;
  /** Requests admitted and not yet done, and requests waiting for a slot. */
  counts(): { running: number; waiting: number };
}

export interface Ticket {
  /** The charge step is over (charged, replayed or refused). */
  charged(): void;
  /** The request is done: its slot goes to the next in line. Idempotent. */
  leave(): void;
}

/** The error of a request dropped before its charge because its client had gone. */
export function clientGone(): LomasError {
  return new LomasError('CANCELLED', {
    what: 'request',
    outcome: 'Its client had gone before the charge: nothing was spent.'
  });
}

interface Waiter {
  wake(): void;
}

export function createAdmission(limit: number): Admission {
  let running = 0;
  const queue: Waiter[] = [];
  /** user \0 key → the charge steps of this key still to come (normally one). */
  const pending = new Map<string, Set<Promise<void>>>();

  function release(): void {
    running--;
    const next = queue.shift();
    if (next) {
      running++;
      next.wake();
    }
  }

  function slot(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(clientGone());
    if (running < limit && queue.length === 0) {
      running++;
      return Promise.resolve();
    }
    return new Promise((ok, fail) => {
      const onAbort = (): void => {
        const i = queue.indexOf(waiter);
        if (i >= 0) queue.splice(i, 1);
        fail(clientGone());
      };
      const waiter: Waiter = {
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          ok();
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
    });
  }

  /** Registers a charge step to come for (user, key); the returned function ends it. */
  function track(user: string, key: string | null): () => void {
    if (key === null) return () => undefined;
    const id = `${user}\0${key}`;
    let end!: () => void;
    const step = new Promise<void>(ok => (end = ok));
    const steps = pending.get(id) ?? new Set<Promise<void>>();
    steps.add(step);
    pending.set(id, steps);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      end();
      steps.delete(step);
      if (steps.size === 0 && pending.get(id) === steps) pending.delete(id);
    };
  }

  return {
    async admit(user, idempotencyKey, signal) {
      const chargeOver = track(user, idempotencyKey);
      try {
        await slot(signal);
      } catch (err) {
        chargeOver();
        throw err;
      }
      // The last moment before the charge: the caller charges synchronously after this returns.
      if (signal?.aborted) {
        release();
        chargeOver();
        throw clientGone();
      }
      let left = false;
      return {
        charged: chargeOver,
        leave: () => {
          if (left) return;
          left = true;
          chargeOver();
          release();
        }
      };
    },

    async settled(user, idempotencyKey) {
      const steps = pending.get(`${user}\0${idempotencyKey}`);
      if (steps) await Promise.all([...steps]);
    },

    counts: () => ({ running, waiting: queue.length })
  };
}

/**
 * A charged request in a slot: waits for it (CANCELLED, uncharged, when the client goes first),
 * runs the ledger step `charge`, then `rest` with its outcome; the slot is freed at the end.
 */
export async function inSlot<C, T>(
  admission: Admission,
  request: { user: string; idempotencyKey: string | null; signal?: AbortSignal },
  charge: () => Promise<C>,
  rest: (charged: C) => Promise<T>
): Promise<T> {
  const ticket = await admission.admit(request.user, request.idempotencyKey, request.signal);
  try {
    let charged: C;
    try {
      charged = await charge();
    } finally {
      ticket.charged();
    }
    return await rest(charged);
  } finally {
    ticket.leave();
  }
}
