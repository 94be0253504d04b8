/**
 * DP models from a notebook, in the same style as queries:
 *
 *   const m = penguins.model('linear', { features: ['flipper_length_mm'], target: 'body_mass_g', epsilon: 1 });
 *   await m.estimate();          // cost and the noise each step will carry: free
 *   await m.dummy();             // the same fit on dummy data: free, checks the code
 *   const fit = await m.run();   // spends: a Model with plain coefficients, predict() and score()
 *
 * The request is plain JSON (lomas-kernel/protocol models.ts), checked here with the protocol's
 * schema before anything is sent; the server checks it again against the metadata.
 */
import { randomUUID } from 'node:crypto';
import {
  MODEL_VERSION,
  parseModelRequest,
  type ModelEstimate,
  type ModelFeature,
  type ModelKind,
  type ModelOptions,
  type ModelRelease,
  type ModelRequest
} from '../protocol';
import type { Mechanism, PlanAmount, Step } from '../protocol/plan';
import { Display, escapeHtml } from './display';
import type { HttpClient } from './http';
import { Model } from './modelResult';
import { costText } from './result';

/** What `dataset.model(kind, …)` takes: the data, the budget and the model's options. */
export interface ModelSpec extends ModelOptions {
  features: ModelFeature[];
  /** The column to predict (linear: numeric; logistic, naive_bayes: classes; kmeans: none). */
  target?: string;
  epsilon?: PlanAmount;
  delta?: PlanAmount;
  rho?: PlanAmount;
  mechanism?: Mechanism;
  /** Clamping bounds per column: { x: [0, 100] } (narrow the public ones, or give missing ones). */
  bounds?: Record<string, [number, number]>;
  /** Rows to fit on: a query builder's filter/select/derive steps (default: every row). */
  from?: { readonly steps: readonly Step[] } | readonly Step[];
}

const OPTION_KEYS: ReadonlyArray<keyof ModelOptions> = [
  'ridge',
  'iterations',
  'learningRate',
  'momentum',
  'l2',
  'clip',
  'clusters',
  'init',
  'varianceFloor',
  'evaluate'
];

/** The wire request of a spec (validated with the protocol's schema: errors say what to fix). */
export function modelRequest(dataset: string, kind: ModelKind, spec: ModelSpec): ModelRequest {
  const steps =
    spec.from === undefined ? undefined : 'steps' in spec.from ? spec.from.steps : spec.from;
  const budget: ModelRequest['budget'] = {};
  if (spec.epsilon !== undefined) budget.epsilon = spec.epsilon;
  if (spec.delta !== undefined) budget.delta = spec.delta;
  if (spec.rho !== undefined) budget.rho = spec.rho;
  const options: ModelOptions = {};
  for (const k of OPTION_KEYS)
    if (spec[k] !== undefined) (options as Record<string, unknown>)[k] = spec[k];
  const request: Record<string, unknown> = {
    version: MODEL_VERSION,
    dataset,
    model: kind,
    features: spec.features,
    budget
  };
  if (steps && steps.length > 0) request.steps = JSON.parse(JSON.stringify(steps));
  if (spec.target !== undefined) request.target = spec.target;
  if (spec.bounds !== undefined) request.bounds = spec.bounds;
  if (spec.mechanism !== undefined) request.mechanism = spec.mechanism;
  if (Object.keys(options).length > 0) request.options = options;
  return parseModelRequest(request);
}

function noiseText(e: Pick<ModelEstimate, 'noise' | 'cost'>): string {
  const steps = e.noise
    .map(
      n =>
        `${n.step}${n.invocations > 1 ? ` ×${n.invocations}` : ''}: ${n.values} value(s), ${n.mechanism.replace('_', ' ')} scale ${n.scale}`
    )
    .join('; ');
  return `cost ${costText(e.cost)} — ${steps} (normalised scale: each feature's bounds map to [−1, 1])`;
}

/** A model request ready to be estimated (free), fitted on dummy data (free) or fitted (spends). */
export class ModelBuilder {
  /** The request sent to the server (validated JSON). */
  readonly request: ModelRequest;

  constructor(
    dataset: string,
    kind: ModelKind,
    spec: ModelSpec,
    private readonly http: HttpClient
  ) {
    this.request = modelRequest(dataset, kind, spec);
    // The client is kept off the printed object: printing a model never prints a key.
    Object.defineProperty(this, 'http', { enumerable: false });
  }

  private async progress<T>(
    label: string,
    work: () => Promise<T>,
    done: (t: T, d: Display) => void
  ): Promise<T> {
    const d = this.http.config.display ? new Display() : null;
    d?.show({ 'text/html': `<i>${escapeHtml(label)}…</i>`, 'text/plain': `${label}…` });
    try {
      const t = await work();
      if (d) done(t, d);
      return t;
    } catch (err) {
      d?.show({ 'text/plain': `${label} failed: ${(err as Error).message}` });
      throw err;
    }
  }

  /** What the fit would cost and the noise of each step. Free. */
  estimate(): Promise<ModelEstimate> {
    return this.progress(
      'Estimating the cost of the model',
      () => this.http.post<ModelEstimate>('/v1/models/estimate', this.request),
      (e, d) => {
        const text = `${noiseText(e)} — nothing spent`;
        d.show({ 'text/html': `<div>${escapeHtml(text)}</div>`, 'text/plain': text });
      }
    );
  }

  /** The same fit on dummy data: checks the code, costs nothing, means nothing. */
  dummy(): Promise<Model> {
    return this.progress(
      'Fitting on dummy data',
      async () => new Model(await this.http.post<ModelRelease>('/v1/models/dummy', this.request)),
      (m, d) => d.show(m.mimeBundle())
    );
  }

  /** Fits on the private data. Spends budget. */
  run(opts: { idempotencyKey?: string } = {}): Promise<Model> {
    const key = opts.idempotencyKey ?? randomUUID();
    return this.progress(
      'Fitting the model (spends budget)',
      async () =>
        new Model(
          await this.http.post<ModelRelease>('/v1/models', this.request, { 'Idempotency-Key': key })
        ),
      (m, d) => d.show(m.mimeBundle())
    );
  }

  toJSON(): ModelRequest {
    return this.request;
  }

  toString(): string {
    return `ModelBuilder(${this.request.model} on ${this.request.dataset}: ${this.request.features.map(f => (typeof f === 'string' ? f : f.column)).join(', ')}${this.request.target ? ` → ${this.request.target}` : ''})`;
  }
}
