import {
  embeddedEngineOnly,
  parseModelRequest,
  type ModelEstimate,
  type ModelRelease,
  type ModelRequest
} from 'lomas-kernel/protocol';
import { dummyRows } from '../datasets/dummy';
import type { Rng } from '../dp';
import type { DatasetCache } from '../engine';
import type { EngineLimits } from '../engine/limits';
import { loadDataset } from '../engine/load';
import type { Ledger } from '../ledger';
import type { Logger } from '../logger';
import { featureInfo, targetInfo } from '../models/columns';
import { fitModel, type ModelFitResult } from '../models/engine';
import { planModel, type PlannedModel } from '../models/plan';
import type { DatasetRecord, Store } from '../store/types';
import { datasetAccess, spendingAccess } from './access';
import type { Admission } from './admission';
import { chargedOnce, chargedOnceContext } from './chargedOnce';
import { livesInTrino } from '../engine/trino';
import { checkDeltaWithinLimits } from './planning';
import { budgetStatus } from './budget';
import type { Principal } from './types';

/** What the model routes need from the domain. */
export interface ModelService {
  estimate(who: Principal, body: unknown): Promise<ModelEstimate>;
  dummy(who: Principal, body: unknown): Promise<ModelRelease>;
  /** `signal` aborts when the client goes away: before its charge, the request is dropped. */
  run(
    who: Principal,
    body: unknown,
    idempotencyKey: string | null,
    signal?: AbortSignal
  ): Promise<ModelRelease>;
}

export interface ModelDeps {
  store: Store;
  ledger: Ledger;
  cache: DatasetCache;
  rng: Rng;
  logger: Logger;
  /** Rows of the dummy dataset a dummy fit learns from. */
  dummyRowCount?: number;
  /** Resource limits of the dummy datasets' instances (the cache has its own for private data). */
  limits?: Partial<EngineLimits>;
  /** How long after its charge a retry waits for the answer (chargedOnce.ts, storedAnswer). */
  answerWaitMs?: number;
  /** Charged requests at once; shared with the query and synthetic services (default: no limit). */
  admission?: Admission;
  now?: () => Date;
}

/** The archive's plan of a model release (tells it apart from query plans). */
export const MODEL_PLAN_KIND = 'model';

const NAMES = {
  linear: 'linear regression',
  logistic: 'logistic regression',
  naive_bayes: 'naive Bayes',
  kmeans: 'k-means'
} as const;

function title(p: PlannedModel, dataset: string): string {
  const r = p.resolved.request;
  const features = p.resolved.features.map(f => f.name).join(', ');
  const what = r.target
    ? `${NAMES[r.model]} of ${r.target} on ${features}`
    : `${NAMES[r.model]} (${r.options?.clusters} clusters) of ${features}`;
  return `${what} — ${dataset}`;
}

function notes(p: PlannedModel, kind: 'release' | 'dummy'): string[] {
  const out: string[] = [];
  if (kind === 'dummy')
    out.push(
      'Fitted on DUMMY data (random rows that respect the metadata): it checks the code, it is not a real answer.'
    );
  out.push(
    'Features are clamped to their bounds before fitting; apply the model to clamped values too (predict() does).'
  );
  const t = p.resolved.target;
  switch (p.dp.kind) {
    case 'linear':
      out.push(
        'stdErrors cover the noise added for privacy (first order), not the sampling error of least squares; R² is computed from the same noisy release.'
      );
      break;
    case 'logistic':
      out.push(
        `Class "${String(t?.kind === 'classes' ? t.classes[0] : '')}" is the reference (all-zero logit); ${p.dp.iterations} noisy gradient steps from zero.`
      );
      break;
    case 'naive_bayes':
      out.push('Variances are floored where the noise dominates them.');
      break;
    case 'kmeans':
      out.push(
        'Clustering uses each feature rescaled to [−1, 1] by its bounds, so features in different units weigh the same; inertia is on that scale.'
      );
      break;
  }
  return out;
}

function release(
  p: PlannedModel,
  fit: ModelFitResult,
  dataset: string,
  kind: 'release' | 'dummy'
): ModelRelease {
  return {
    version: 1,
    kind,
    dataset,
    model: p.resolved.request.model,
    title: title(p, dataset),
    features: featureInfo(p.resolved.features),
    target: targetInfo(p.resolved.target),
    parameters: fit.parameters,
    metrics: fit.metrics,
    cost: kind === 'dummy' ? { epsilon: '0', delta: '0' } : p.display,
    noise: p.noise,
    notes: notes(p, kind)
  };
}

function datasetName(body: unknown): string {
  const name =
    body && typeof body === 'object' ? (body as { dataset?: unknown }).dataset : undefined;
  return typeof name === 'string' ? name : parseModelRequest(body).dataset;
}

/** Parse, resolve against the public metadata, plan every noisy step: no data, no randomness. */
function prepare(
  body: unknown,
  dataset: DatasetRecord
): { request: ModelRequest; planned: PlannedModel } {
  const request = parseModelRequest(body);
  if (livesInTrino(dataset.connector)) throw embeddedEngineOnly('models', dataset.name);
  return { request, planned: planModel(request, dataset) };
}

/**
 * The model pipeline, the same as a query's: validate → plan (cost) → charge the ledger → exact
 * statistics on the private data → measurements (noise) → post-processing → archive. The charge is
 * written BEFORE the data is read; a failure after it keeps the charge and is archived, so a retry
 * with the same Idempotency-Key gets the same error, never a second try.
 */
export function createModelService(deps: ModelDeps): ModelService {
  const { store, ledger, cache, rng } = deps;
  const charged = chargedOnceContext<ModelRelease>(deps);

  return {
    async estimate(who, body) {
      const { dataset, grant } = await datasetAccess(store, who, datasetName(body));
      const { planned } = prepare(body, dataset);
      checkDeltaWithinLimits(planned, dataset, grant ? grant.budget : null);
      return {
        dataset: dataset.name,
        model: planned.resolved.request.model,
        features: featureInfo(planned.resolved.features),
        target: targetInfo(planned.resolved.target),
        cost: planned.display,
        noise: planned.noise,
        budget: await budgetStatus(ledger, who.user, dataset, grant ? grant.budget : null)
      };
    },

    async dummy(who, body) {
      const { dataset } = await datasetAccess(store, who, datasetName(body));
      const { planned } = prepare(body, dataset);
      const rows = dummyRows(
        dataset.metadata,
        deps.dummyRowCount ?? 1000,
        `${dataset.name}:${dataset.version}`
      );
      const loaded = await loadDataset({ kind: 'rows', rows }, dataset.metadata, deps.limits);
      try {
        return release(planned, await fitModel(planned, loaded, rng), dataset.name, 'dummy');
      } finally {
        loaded.close();
      }
    },

    async run(who, body, idempotencyKey, signal) {
      const { dataset, grant } = await spendingAccess(store, who, datasetName(body));
      const { request, planned } = prepare(body, dataset);
      checkDeltaWithinLimits(planned, dataset, grant.budget);
      return chargedOnce(charged, {
        who,
        dataset,
        grant: grant.budget,
        charge: planned.charge,
        display: planned.display,
        plan: { kind: MODEL_PLAN_KIND, ...request },
        idempotencyKey,
        signal,
        what: 'model',
        compute: async () =>
          release(
            planned,
            await cache.use(dataset, d => fitModel(planned, d, rng)),
            dataset.name,
            'release'
          )
      });
    }
  };
}
