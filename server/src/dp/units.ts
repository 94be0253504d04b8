/**
 * Privacy units: what "one person" can change in the data, and the resulting contribution bounds.
 *  - row:  add or remove one row (max_ids = 1).
 *  - user: add or remove one person, who contributes at most `maxRows` rows in total (max_ids, or
 *          an id column truncated to k rows by the execution engine), to at most `maxGroups`
 *          groups (L0), with at most `maxRowsPerGroup` rows in any one group (L∞).
 * The execution engine MUST enforce the declared truncation (keep at most k rows per id, chosen
 * without looking at values, e.g. by a CSPRNG-keyed hash) before computing statistics.
 */
import { invalidParameter } from './errors';

export type PrivacyUnit =
  | { kind: 'row' }
  | {
      kind: 'user';
      maxRows: number | bigint;
      maxGroups?: number | bigint;
      maxRowsPerGroup?: number | bigint;
    };

/** Contribution bounds of one privacy unit to a (possibly grouped) release. */
export interface Contributions {
  /** rows per person overall */
  rows: bigint;
  /** groups a person can touch (L0) */
  l0: bigint;
  /** rows per person within one group (L∞) */
  linf: bigint;
  /** max Σ_g c_g: the L1 multiplier of per-row sensitivities */
  l1: bigint;
  /** max Σ_g c_g²: the squared-L2 multiplier of per-row sensitivities */
  l2sq: bigint;
}

function positiveInt(x: number | bigint | undefined, parameter: string): bigint | undefined {
  if (x === undefined) return undefined;
  if (typeof x === 'number' && !Number.isSafeInteger(x))
    throw invalidParameter(parameter, 'must be a positive integer', `Got ${x}.`);
  const b = BigInt(x);
  if (b < 1n) throw invalidParameter(parameter, 'must be a positive integer', `Got ${x}.`);
  return b;
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);

/**
 * Contribution bounds of `unit` to a release over `groups` groups (undefined: not grouped, i.e.
 * one group; Infinity: an unknown number of groups, e.g. private keys).
 */
export function contributions(unit: PrivacyUnit, groups?: number): Contributions {
  if (unit === null || typeof unit !== 'object')
    throw invalidParameter('unit', 'must be { kind: "row" } or { kind: "user", maxRows }');
  let rows = 1n;
  let l0: bigint;
  let linf: bigint;
  if (unit.kind === 'row') {
    l0 = 1n;
    linf = 1n;
  } else if (unit.kind === 'user') {
    rows = positiveInt(unit.maxRows, 'maxRows') ?? 1n;
    l0 = min(positiveInt(unit.maxGroups, 'maxGroups') ?? rows, rows);
    linf = min(positiveInt(unit.maxRowsPerGroup, 'maxRowsPerGroup') ?? rows, rows);
  } else {
    throw invalidParameter('unit.kind', 'must be "row" or "user"');
  }
  if (groups === undefined) l0 = 1n;
  else if (Number.isSafeInteger(groups) && groups >= 1) l0 = min(l0, BigInt(groups));
  if (groups === undefined) linf = rows;
  const l1 = min(rows, l0 * linf);
  return { rows, l0, linf, l1, l2sq: linf * l1 };
}

/** The unit of a dataset from its public metadata (max_ids; row_privacy). */
export function unitFromMetadata(meta: { max_ids?: number; row_privacy?: boolean }): PrivacyUnit {
  const maxIds = meta.max_ids ?? 1;
  if (maxIds <= 1 && meta.row_privacy !== false) return { kind: 'row' };
  return { kind: 'user', maxRows: maxIds };
}
