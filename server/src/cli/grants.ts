/**
 * A grant as an administrator writes it: in the dataset's own measure, the other dimensions
 * defaulting to zero. Pure DP datasets are budgeted in ε, approximate DP in ε and δ, zCDP in ρ
 * (with a δ only for private key discovery). A flag in another measure is refused with the flags
 * that fit, never converted: a conversion between measures is a privacy decision, not a default.
 */

export type Accounting = 'pure' | 'approx' | 'zcdp';

export interface GrantFlags {
  epsilon?: string;
  delta?: string;
  rho?: string;
}

/** The body of PUT /admin/grants/… (and of raise / lower): exact decimals, as typed. */
export interface GrantBody {
  epsilon: string;
  delta: string;
  rho?: string;
}

export class GrantFlagError extends Error {}

const MEASURE: Record<Accounting, string> = {
  pure: 'ε (pure DP)',
  approx: 'ε and δ (approximate DP)',
  zcdp: 'ρ (zCDP)'
};

/** The flags that fit each accounting mode, as the help text and the errors write them. */
export const GRANT_FLAGS: Record<Accounting, string> = {
  pure: '--epsilon E',
  approx: '--epsilon E [--delta D]',
  zcdp: '--rho R [--delta D]'
};

/** True for "0", "0.000", "0e3": an amount that grants nothing. */
function isZero(x: string | undefined): boolean {
  return x === undefined || /^0*(\.0*)?(e[+-]?\d+)?$/i.test(x.trim());
}

/** Checks the flags against the dataset's accounting and fills the other dimensions with 0. */
export function grantBody(dataset: string, accounting: Accounting, f: GrantFlags): GrantBody {
  const fits = `${dataset} is budgeted in ${MEASURE[accounting]}: write ${GRANT_FLAGS[accounting]}`;
  const refuse = (why: string): never => {
    throw new GrantFlagError(`${why}; ${fits}`);
  };
  if (accounting === 'zcdp') {
    if (!isZero(f.epsilon)) refuse('--epsilon does not apply');
    if (f.rho === undefined) refuse('no --rho given');
    return { epsilon: '0', delta: f.delta ?? '0', rho: f.rho };
  }
  if (!isZero(f.rho)) refuse('--rho does not apply');
  if (f.epsilon === undefined) refuse('no --epsilon given');
  if (accounting === 'pure' && !isZero(f.delta)) refuse('--delta does not apply');
  return { epsilon: f.epsilon!, delta: f.delta ?? '0' };
}
