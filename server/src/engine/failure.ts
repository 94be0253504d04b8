/**
 * Why a query failed inside the engine. The reason is for the server's log and metrics only:
 * after the charge, every failure reaches the analyst as the same QUERY_FAILED answer, because
 * which limit a query hit (time, memory, number of groups) can depend on the private data.
 */
export type FailureReason =
  | 'timeout'
  | 'memory'
  | 'group-cap'
  | 'duplicate-key'
  | 'unexpected-key'
  | 'key-encoding'
  | 'engine';

export class EngineFailure extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(`${reason}: ${message}`, options);
    this.name = 'EngineFailure';
  }
}

/** Classifies an error thrown by DuckDB while a statement ran. */
export function fromDuckDB(e: unknown): EngineFailure {
  if (e instanceof EngineFailure) return e;
  const message = e instanceof Error ? e.message : String(e);
  const first = message.split('\n')[0];
  if (/\bOut of Memory Error\b/i.test(first))
    return new EngineFailure('memory', first, { cause: e });
  if (/\bINTERRUPT Error\b/i.test(first)) return new EngineFailure('timeout', first, { cause: e });
  return new EngineFailure('engine', first, { cause: e });
}
