import { checkPlan, parsePlan, type QueryPlan, type ReleaseResponse } from 'lomas-kernel/protocol';
import { dummyRows } from '../datasets/dummy';
import type { Rng } from '../dp';
import type { Ledger } from '../ledger';
import { execute, type DatasetCache, type EngineLimits } from '../engine';
import { checkExactSums } from '../query/compile';
import { loadDataset } from '../engine/load';
import type { Principal } from './types';
import type { Logger } from '../logger';
import type { DatasetRecord, Store } from '../store/types';
import { datasetAccess, spendingAccess } from './access';
import type { Admission } from './admission';
import { chargedOnce, chargedOnceContext } from './chargedOnce';
import { budgetStatus } from './budget';
import { checkDeltaWithinLimits, costQuery, type CostedQuery } from './planning';
import { buildRelease } from './release';
import type { QueryService, QuerySource } from './types';

export interface QueryDeps {
  store: Store;
  ledger: Ledger;
  cache: DatasetCache;
  rng: Rng;
  logger: Logger;
  /** Rows of the dummy dataset a dummy run executes on. */
  dummyRowCount?: number;
  /** Resource limits of the dummy datasets' instances (the cache has its own for private data). */
  limits?: Partial<EngineLimits>;
  /** How long after its charge a retry waits for a query's answer (chargedOnce.ts, storedAnswer). */
  answerWaitMs?: number;
  /** Charged requests at once; shared with the synthetic and model services (default: no limit). */
  admission?: Admission;
  now?: () => Date;
}

/**
 * Parse, check against the public metadata (the protocol's plan rules, the same the notebook
 * builder runs) and cost: no private data, no randomness. The SQL front end's plans come here too.
 */
export function prepare(
  body: unknown,
  dataset: DatasetRecord
): { plan: QueryPlan; planned: CostedQuery } {
  const plan = parsePlan(body);
  const checked = checkPlan(plan, dataset);
  checkExactSums(checked);
  return { plan, planned: costQuery(checked, dataset) };
}

function datasetName(body: unknown): string {
  const name =
    body && typeof body === 'object' ? (body as { dataset?: unknown }).dataset : undefined;
  // parsePlan reports a malformed name precisely; here we only need something to look up.
  if (typeof name !== 'string') return parsePlan(body).dataset;
  return name;
}

/**
 * The query pipeline: validate → plan (cost) → charge the ledger → execute → noise → archive.
 * The charge is written BEFORE the private data is touched: a failure after it keeps the charge,
 * so no data-dependent failure can leak anything for free. Rejections before it cost nothing.
 */
export function createQueryService(deps: QueryDeps): QueryService {
  const { store, ledger, cache, rng } = deps;
  const charged = chargedOnceContext<ReleaseResponse>(deps);

  return {
    async estimate(who, body) {
      const { dataset, grant } = await datasetAccess(store, who, datasetName(body));
      const { planned } = prepare(body, dataset);
      checkDeltaWithinLimits(planned, dataset, grant ? grant.budget : null);
      return {
        dataset: dataset.name,
        cost: planned.display,
        mechanisms: planned.mechanisms,
        budget: await budgetStatus(ledger, who.user, dataset, grant ? grant.budget : null)
      };
    },

    async dummy(who, body, opts = {}) {
      const { dataset } = await datasetAccess(store, who, datasetName(body));
      const { planned } = prepare(body, dataset);
      const seed = `${dataset.name}:${dataset.version}`;
      const rows = dummyRows(
        dataset.metadata,
        opts.rows ?? deps.dummyRowCount ?? 1000,
        opts.seed === undefined ? seed : `${seed}:${opts.seed}`
      );
      const loaded = await loadDataset({ kind: 'rows', rows }, dataset.metadata, deps.limits);
      try {
        const exact = await execute(planned.checked, loaded);
        return buildRelease(planned, exact, rng, 'dummy');
      } finally {
        loaded.close();
      }
    },

    async run(
      who: Principal,
      body: unknown,
      idempotencyKey: string | null,
      source: QuerySource = {},
      signal?: AbortSignal
    ): Promise<ReleaseResponse> {
      const { dataset, grant } = await spendingAccess(store, who, datasetName(body));
      const { plan, planned } = prepare(body, dataset);
      checkDeltaWithinLimits(planned, dataset, grant.budget);
      return chargedOnce(charged, {
        who,
        dataset,
        grant: grant.budget,
        charge: planned.charge,
        display: planned.display,
        plan,
        extra: source,
        idempotencyKey,
        signal,
        what: 'query',
        compute: async () =>
          buildRelease(planned, await cache.execute(dataset, planned.checked), rng, 'release')
      });
    }
  };
}
