/**
 * Resolves a model request against the dataset's PUBLIC metadata: the row steps (validated as a
 * query plan's), each feature's type, encoding and clamping bounds, and the target (bounds, or the
 * public classes). Nothing here reads private data; every refusal names the rule and the fix, and
 * happens before any charge.
 */
import {
  LomasError,
  MODEL_LIMITS,
  PLAN_VERSION,
  boundsRule,
  checkPlan,
  type DatasetMetadata,
  type ModelFeatureInfo,
  type ModelRequest,
  type ModelTargetInfo
} from 'lomas-kernel/protocol';
import type { ColumnInfo, RStep } from '../query/types';
import { integerBounds } from '../dp';

/** A feature after encoding: how the SQL computes its normalised value. */
export type EncodedFeature = ModelFeatureInfo &
  (
    | { kind: 'numeric'; integer: boolean }
    | { kind: 'boolean' }
    | { kind: 'indicator'; category: string }
  );

export type EncodedTarget =
  | { kind: 'numeric'; column: string; bounds: [number, number]; integer: boolean }
  | {
      kind: 'classes';
      column: string;
      type: 'string' | 'boolean';
      classes: Array<string | boolean>;
    };

export interface ResolvedModel {
  request: ModelRequest;
  steps: RStep[];
  features: EncodedFeature[];
  target?: EncodedTarget;
  /** Columns that must be non-NULL in a row for it to be used. */
  required: string[];
}

function column(scope: Map<string, ColumnInfo>, name: string, dataset: string): ColumnInfo {
  const c = scope.get(name);
  if (!c)
    throw new LomasError('UNKNOWN_COLUMN', {
      column: name,
      dataset,
      known: [...scope.keys()].join(', ')
    });
  return c;
}

/**
 * Clamping bounds, as for queries (lomas-kernel/protocol clampBounds): the request's bounds are
 * used as given, else the column's public bounds; none at all is refused.
 */
function boundsOf(c: ColumnInfo, request: ModelRequest, role: string): [number, number] {
  const asked = request.bounds?.[c.name];
  const b: [number, number] | undefined = asked
    ? [asked[0], asked[1]]
    : c.dom.lower !== undefined && c.dom.upper !== undefined
      ? [c.dom.lower, c.dom.upper]
      : undefined;
  if (!b) throw boundsRule(`the ${role} "${c.name}"`);
  if (!(b[0] < b[1]))
    throw new LomasError('INVALID_REQUEST', {
      problem: `the bounds of "${c.name}" are a single value (${b[0]}): a constant carries nothing to fit on. Drop it or give wider bounds`
    });
  return b;
}

function encodeFeature(
  c: ColumnInfo,
  encoding: 'onehot' | undefined,
  request: ModelRequest
): EncodedFeature[] {
  if (c.type === 'int' || c.type === 'float') {
    if (encoding)
      throw new LomasError('INVALID_REQUEST', {
        problem: `"${c.name}" is numeric: one-hot encoding applies to string columns. Remove the encoding`
      });
    const bounds = boundsOf(c, request, 'feature');
    const integer = c.type === 'int' && integerBounds(bounds[0], bounds[1]);
    return [{ kind: 'numeric', name: c.name, column: c.name, bounds, integer }];
  }
  if (c.type === 'boolean')
    return [{ kind: 'boolean', name: c.name, column: c.name, bounds: [0, 1], indicator: true }];
  if (c.type === 'string') {
    const cats = c.dom.categories;
    if (!encoding || !cats || cats.length < 2)
      throw new LomasError('PRIVACY_RULE', {
        rule: 'feature-encoding',
        why: `"${c.name}" is a string column: a model needs numbers, and ${cats ? 'its categories must be encoded' : 'it has no public list of categories to encode (the values that occur would reveal who is in the data)'}.`,
        fix: cats
          ? `Write { column: "${c.name}", encoding: "onehot" } (one 0/1 feature per category after "${cats[0]}").`
          : `Derive a numeric column from it, or declare its categories with derive({ k: { expr: ..., categories: [...] } }).`
      });
    return cats.slice(1).map(cat => ({
      kind: 'indicator',
      name: `${c.name}=${cat}`,
      column: c.name,
      category: cat,
      bounds: [0, 1],
      indicator: true
    }));
  }
  throw new LomasError('TYPE_MISMATCH', {
    column: c.name,
    actual: c.type,
    expected: 'a number, a boolean or a string with public categories',
    fix: 'Derive a number from it, e.g. derive({ hour: { expr: d => hour(d.date) } }).'
  });
}

function encodeTarget(c: ColumnInfo, request: ModelRequest): EncodedTarget {
  if (request.model === 'linear') {
    if (c.type !== 'int' && c.type !== 'float')
      throw new LomasError('TYPE_MISMATCH', {
        column: c.name,
        actual: c.type,
        expected: 'a number (the target of a linear regression)',
        fix: 'Predict a numeric column, or use a classifier (logistic, naive_bayes) for classes.'
      });
    const bounds = boundsOf(c, request, 'target');
    const integer = c.type === 'int' && integerBounds(bounds[0], bounds[1]);
    return { kind: 'numeric', column: c.name, bounds, integer };
  }
  if (c.type === 'boolean')
    return { kind: 'classes', column: c.name, type: 'boolean', classes: [false, true] };
  const cats = c.dom.categories;
  if (c.type === 'string' && cats && cats.length > MODEL_LIMITS.classes)
    throw new LomasError('INVALID_REQUEST', {
      problem: `the target "${c.name}" has ${cats.length} public classes, above the limit of ${MODEL_LIMITS.classes}. Derive a coarser class column with declared categories (derive({ k: { expr: ..., categories: [...] } }))`
    });
  if (c.type === 'string' && cats && cats.length >= 2)
    return { kind: 'classes', column: c.name, type: 'string', classes: [...cats] };
  throw new LomasError('PRIVACY_RULE', {
    rule: 'public-classes',
    why: `the classes of "${c.name}" are not public (a string column with categories, or a boolean, is needed): releasing which classes occur would reveal that someone in that class is in the data.`,
    fix: 'Use a column whose categories the metadata lists, or derive one with declared categories.'
  });
}

/** Resolves a parsed request; throws typed errors (no charge has happened yet). */
export function resolveModel(request: ModelRequest, metadata: DatasetMetadata): ResolvedModel {
  // The steps are validated exactly as a query plan's (a count stands in for the aggregations).
  const resolved = checkPlan(
    {
      version: PLAN_VERSION,
      dataset: request.dataset,
      steps: request.steps ?? [],
      aggregations: [{ op: 'count' }],
      budget: { epsilon: 1 }
    },
    { metadata }
  );
  const scope = new Map(resolved.columns.map(c => [c.name, c]));
  for (const name of Object.keys(request.bounds ?? {})) column(scope, name, request.dataset);
  const features = request.features.flatMap(f => {
    const name = typeof f === 'string' ? f : f.column;
    const encoding = typeof f === 'string' ? undefined : f.encoding;
    return encodeFeature(column(scope, name, request.dataset), encoding, request);
  });
  const target =
    request.target === undefined
      ? undefined
      : encodeTarget(column(scope, request.target, request.dataset), request);
  const required = [
    ...new Set([...features.map(f => f.column), ...(target ? [target.column] : [])])
  ];
  return { request, steps: resolved.steps, features, target, required };
}

/** The target as the wire describes it. */
export function targetInfo(t: EncodedTarget | undefined): ModelTargetInfo | undefined {
  if (!t) return undefined;
  return t.kind === 'numeric'
    ? { column: t.column, bounds: t.bounds }
    : { column: t.column, classes: t.classes };
}

/** The features as the wire describes them. */
export function featureInfo(features: readonly EncodedFeature[]): ModelFeatureInfo[] {
  return features.map(f => {
    const out: ModelFeatureInfo = { name: f.name, column: f.column, bounds: f.bounds };
    if (f.kind === 'indicator') out.category = f.category;
    if (f.kind !== 'numeric') out.indicator = true;
    return out;
  });
}
