import { LomasError } from '../protocol/errors';
import { NAME_PATTERN, RESERVED_NAMES, type Step } from '../protocol/plan';
import type { Columns } from './columns';

/** The immutable state of a query under construction. */
export interface QueryState {
  readonly dataset: string;
  readonly steps: readonly Step[];
  /** Known columns after the steps, or null when the builder has no metadata. */
  readonly columns: Columns | null;
}

const reserved = new Set(RESERVED_NAMES);

/** Checks a column or output name given to a verb. */
export function checkName(name: unknown, parameter: string): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name) || reserved.has(name)) {
    const shown =
      typeof name === 'string'
        ? JSON.stringify(name.length > 40 ? name.slice(0, 39) + '…' : name)
        : typeof name;
    throw new LomasError('INVALID_PARAMETER', {
      parameter,
      rule: `${shown} is not a valid column name (1 to 64 letters, digits or _, not starting with a digit)`,
      fix: 'Use the column names listed by dataset.metadata().'
    });
  }
  return name;
}

/** Turns zod issues of a schema check into a clear INVALID_PARAMETER error. */
export function invalidParameter(
  parameter: string,
  issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string; params?: unknown }>
): LomasError {
  const first = issues[0];
  const where = first.path.length > 0 ? first.path.map(String).join('.') : parameter;
  const params = first.params as { fix?: unknown } | undefined;
  return new LomasError('INVALID_PARAMETER', {
    parameter: where,
    rule: first.message,
    fix: typeof params?.fix === 'string' ? params.fix : undefined
  });
}
