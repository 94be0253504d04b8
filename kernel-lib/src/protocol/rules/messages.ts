import { LomasError } from '../errors';

/**
 * The errors of the plan rules, written once. The notebook builder and the server raise exactly
 * these (same code, same words): the builder to fail early, the server as the authority.
 */

/** TYPE_MISMATCH: `what` (a column or an expression) has the wrong type for its use. */
export function typeMismatch(what: string, actual: string, expected: string, fix?: string) {
  return new LomasError('TYPE_MISMATCH', { column: what, actual, expected, fix });
}

/** INVALID_PLAN: a rule of the plan's shape that the schema alone cannot state. */
export function invalidPlan(problem: string, fix?: string) {
  return new LomasError('INVALID_PLAN', { problem, fix });
}

export function unknownColumn(column: string, dataset: string, known: Iterable<string>) {
  return new LomasError('UNKNOWN_COLUMN', { column, dataset, known: [...known].join(', ') });
}

/** The privacy rules: what each forbids and why it protects people. */
export type PrivacyRuleName =
  | 'bounded-contribution'
  | 'public-group-keys'
  | 'public-categories'
  | 'pure-dp-dataset'
  | 'delta-within-limit';

const BOUNDS_WHY = (what: string) =>
  `${what} needs bounds: without them one person could move the result without limit, so no amount of noise would hide them.`;

const PURE_WHY =
  'this dataset promises pure ε-DP: every answer changes what can be learned about a person by at most a factor e^ε, with no chance of failure. A δ (key discovery, Gaussian noise, a ρ budget) allows a small chance of unlimited loss, so this dataset cannot honour it.';

/** What a pure ε-DP dataset was asked for that it cannot honour. */
export type PureRefusal = 'delta' | 'rho' | 'gaussian' | 'discover';

const PURE_FIX: Record<PureRefusal, string> = {
  delta:
    'Remove delta from the budget (Laplace noise spends none), or ask an administrator for an (ε, δ) or zCDP dataset.',
  rho: 'Give the query an ε budget (e.g. { epsilon: 0.5 }) and Laplace noise; a ρ budget or Gaussian noise needs a zCDP or (ε, δ) dataset.',
  gaussian:
    'Use Laplace noise (the default) with an ε budget; Gaussian noise needs a zCDP or (ε, δ) dataset.',
  discover:
    'Group by public keys (list the values, or use the metadata categories) instead of discovering them.'
};

/** PRIVACY_RULE "bounded-contribution": `what` (e.g. `sum("x")`) has no bounds. */
export function boundsRule(what: string): LomasError {
  return new LomasError('PRIVACY_RULE', {
    rule: 'bounded-contribution',
    why: BOUNDS_WHY(what),
    fix: 'Give the bounds you expect, e.g. { bounds: [0, 100] } (values outside are clamped).'
  });
}

/** PRIVACY_RULE "public-group-keys": the values of a group key are not public. */
export function publicKeysRule(key: string): LomasError {
  return new LomasError('PRIVACY_RULE', {
    rule: 'public-group-keys',
    why: `The values of "${key}" are not public (no categories or small integer range in the metadata), and releasing which values occur would reveal that someone with that value is in the data, even with noisy counts.`,
    fix: `List the keys you want, e.g. groupby("${key}", { values: [...] }), or discover them privately with groupby("${key}", { discover: { delta: 1e-6 } }).`
  });
}

/** PRIVACY_RULE "public-categories": a histogram of a string column without public categories. */
export function publicCategoriesRule(column: string): LomasError {
  return new LomasError('PRIVACY_RULE', {
    rule: 'public-categories',
    why: `"${column}" has no public list of categories, and a histogram would reveal which values occur in the data.`,
    fix: 'Derive a column with declared categories, e.g. derive({ k: { expr: ..., categories: ["a", "b"] } }), or group by it with private key discovery.'
  });
}

/** PRIVACY_RULE "pure-dp-dataset": a pure ε-DP dataset asked for a δ, a ρ, Gaussian noise or discovery. */
export function pureDatasetRule(asked: PureRefusal): LomasError {
  return new LomasError('PRIVACY_RULE', {
    rule: 'pure-dp-dataset',
    why: PURE_WHY,
    fix: PURE_FIX[asked]
  });
}

/**
 * PRIVACY_RULE "delta-within-limit": a query asks for more δ than the analyst's grant or the
 * dataset-wide cap allows in total (the server checks it before any charge).
 */
export function deltaLimitRule(f: {
  limit: 'your grant' | 'the dataset-wide cap';
  dataset: string;
  allowed: string;
  asked: string;
  none: boolean;
}): LomasError {
  const limit = f.limit[0].toUpperCase() + f.limit.slice(1);
  return new LomasError('PRIVACY_RULE', {
    rule: 'delta-within-limit',
    why: `δ is the probability that the guarantee fails outright for someone (with key discovery: that a group holding one person's rows is published). ${limit} on "${f.dataset}" allows δ = ${f.allowed} in total, and this query needs δ = ${f.asked}.`,
    fix: f.none
      ? 'Use public group keys (list the values) and no δ in the budget, or ask an administrator for a grant with a δ.'
      : `Ask for a δ of at most ${f.allowed} (e.g. discover: { delta: ${f.allowed} } or a smaller one), or ask an administrator for more δ.`
  });
}
