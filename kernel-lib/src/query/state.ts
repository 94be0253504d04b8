import { LomasError } from '../protocol/errors';
import { DatasetMetadata } from '../protocol/metadata';
import type { AccountingMode } from '../protocol/budget';
import { DatasetNameSchema, StepSchema, parsePlanPart, type Step } from '../protocol/plan';
import { checkStep, scopeOf, type CheckContext, type CheckTarget } from '../protocol/rules';

/**
 * The immutable state of a query under construction. With the dataset's public metadata the
 * builder runs the protocol's plan checker at every verb (the same rules and errors as the server),
 * so a mistake surfaces at the line that made it.
 */
export interface QueryState {
  readonly dataset: string;
  readonly steps: readonly Step[];
  /** The checker's view after the steps, or null when the builder has no metadata. */
  readonly check: { readonly target: CheckTarget; readonly ctx: CheckContext } | null;
}

/** What `dataset.metadata()` returns: the columns, and the accounting mode and δ the rules read. */
export interface QueryTarget {
  metadata: DatasetMetadataInput;
  accounting?: AccountingMode;
  delta?: string;
}
type DatasetMetadataInput = import('zod').input<typeof DatasetMetadata>;

/** The dataset's description as `dataset.metadata()` returns it, or its `metadata` part alone. */
export type QueryMetadata = QueryTarget | DatasetMetadataInput;

function isTarget(m: QueryMetadata): m is QueryTarget {
  return typeof m === 'object' && m !== null && 'metadata' in m;
}

function targetOf(dataset: string, m: QueryMetadata): CheckTarget {
  const t: QueryTarget = isTarget(m) ? m : { metadata: m };
  const r = DatasetMetadata.safeParse(t.metadata);
  if (!r.success)
    throw new LomasError('INVALID_PARAMETER', {
      parameter: 'metadata',
      rule: `the metadata of "${dataset}" is not dataset metadata (${r.error.issues[0].message})`,
      fix: 'Pass what dataset.metadata() returns, or nothing.'
    });
  return { metadata: r.data, accounting: t.accounting, delta: t.delta };
}

export function initialState(dataset: string, metadata: QueryMetadata | undefined): QueryState {
  parsePlanPart(DatasetNameSchema, dataset, ['dataset']);
  if (metadata === undefined) return { dataset, steps: [], check: null };
  const target = targetOf(dataset, metadata);
  return {
    dataset,
    steps: [],
    check: { target, ctx: { dataset, scope: scopeOf(target.metadata) } }
  };
}

/** Appends a step: the schema at its place in the plan, then (with metadata) the plan rules. */
export function addStep(state: QueryState, raw: unknown): QueryState {
  const step = parsePlanPart(StepSchema, raw, ['steps', state.steps.length]);
  let check = state.check;
  if (check) {
    const { scope } = checkStep(step, check.ctx);
    check = { ...check, ctx: { ...check.ctx, scope } };
  }
  return { ...state, steps: [...state.steps, step], check };
}
