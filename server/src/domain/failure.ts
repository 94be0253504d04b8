import { LomasError } from 'lomas-kernel/protocol';
import { ConnectorError } from '../datasets/connectors/types';
import { EngineFailure } from '../engine/failure';
import type { Logger } from '../logger';
import type { ArchiveRecord, Store } from '../store/types';

/** The cause of a post-charge failure, for the server's log (never for the analyst). */
function failureCause(err: unknown): string {
  if (err instanceof EngineFailure) return err.reason;
  if (err instanceof ConnectorError) return 'connector';
  return 'internal';
}

/**
 * Every failure after a charge — connector, timeout, memory, group cap, duplicate key, a bug —
 * becomes the same QUERY_FAILED answer: the charge is kept, the failure archived (retries with the
 * same Idempotency-Key see it), and the cause goes to the server's log only. One function for
 * queries, synthetic data and models, so no kind of release can fail differently.
 */
export async function postChargeFailure(
  err: unknown,
  ctx: {
    store: Store;
    logger: Logger;
    record: Omit<ArchiveRecord, 'at' | 'kind' | 'release' | 'error'>;
    at: string;
    what: string;
  }
): Promise<LomasError> {
  const { queryId, dataset } = ctx.record;
  ctx.logger.error(
    { err, cause: failureCause(err), queryId, dataset },
    `${ctx.what} failed after its charge`
  );
  const e = new LomasError('QUERY_FAILED', {}, { queryId });
  await ctx.store
    .addArchive({ ...ctx.record, at: ctx.at, kind: 'failure', release: null, error: e.toBody() })
    .catch(archiveErr =>
      ctx.logger.error({ err: archiveErr, queryId }, 'could not archive a failure')
    );
  return e;
}
