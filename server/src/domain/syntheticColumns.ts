import {
  LomasError,
  SYNTHETIC_LIMITS,
  type ColumnMetadata,
  type DatasetMetadata
} from 'lomas-kernel/protocol';
import type { ColumnSpec } from '../dp';

/**
 * Which columns a synthetic table models, from the dataset's PUBLIC metadata only: a numeric or
 * datetime column needs both bounds (its bins), a string column its categories, a boolean nothing.
 * Bins or categories taken from the data would reveal it, so a column without them is refused when
 * named, and left out (and reported) when the request models every column by default.
 */

export interface ResolvedColumns {
  specs: ColumnSpec[];
  omitted: Array<{ column: string; reason: string }>;
}

type Refusal = { rule: string; why: string; fix: string };

function refusal(name: string, c: ColumnMetadata): Refusal | null {
  const bounded = 'lower' in c && c.lower !== undefined && 'upper' in c && c.upper !== undefined;
  if ((c.type === 'int' || c.type === 'float' || c.type === 'datetime') && !bounded)
    return {
      rule: 'public-bins',
      why: `column "${name}" has no public lower and upper bounds, and a synthetic column's bins must be public: bins taken from the data would reveal the values of the people in it.`,
      fix: `Ask an administrator to add lower and upper bounds to "${name}" in the metadata, or leave it out of columns.`
    };
  if (c.type === 'string' && !(c.categories && c.categories.length > 0))
    return {
      rule: 'public-categories',
      why: `column "${name}" has no public list of categories, and a synthetic column's values must be public: values taken from the data would reveal rare ones, and the people who have them.`,
      fix: `Ask an administrator to list the categories of "${name}" in the metadata, or leave it out of columns.`
    };
  return null;
}

/**
 * A metadata date as epoch milliseconds, read as UTC when it carries no offset (as DuckDB reads
 * TIMESTAMP values), so the bins do not depend on the server's time zone.
 */
function utcMillis(s: string): number {
  const zoned = /([zZ]|[+-]\d\d:?\d\d)$/.test(s) || /^\d{4}-\d{2}-\d{2}$/.test(s);
  return Date.parse(zoned ? s : `${s}Z`);
}

function specOf(name: string, c: ColumnMetadata): ColumnSpec {
  const nullable = c.nullable ?? false;
  switch (c.type) {
    case 'int':
    case 'float':
      return {
        name,
        kind: 'numeric',
        lower: c.lower as number,
        upper: c.upper as number,
        integer: c.type === 'int',
        nullable
      };
    case 'datetime': {
      const lower = utcMillis(c.lower as string);
      const upper = utcMillis(c.upper as string);
      if (!Number.isFinite(lower) || !Number.isFinite(upper) || lower > upper)
        throw new LomasError('PRIVACY_RULE', {
          rule: 'public-bins',
          why: `the bounds of column "${name}" are not two dates in order (${c.lower}, ${c.upper}), so its bins cannot be derived from them.`,
          fix: `Ask an administrator to fix the bounds of "${name}" (ISO dates), or leave it out of columns.`
        });
      return { name, kind: 'datetime', lower, upper, nullable };
    }
    case 'string':
      return { name, kind: 'categorical', categories: [...new Set(c.categories)], nullable };
    case 'boolean':
      return { name, kind: 'categorical', categories: [false, true], nullable };
  }
}

/** The columns to model (requested, or every column that can be), refusing what cannot be modelled. */
export function resolveColumns(
  dataset: string,
  metadata: DatasetMetadata,
  requested: readonly string[] | undefined,
  rows: number
): ResolvedColumns {
  const all = Object.keys(metadata.columns);
  const omitted: ResolvedColumns['omitted'] = [];
  let names: string[];
  if (requested) {
    for (const name of requested) {
      if (!(name in metadata.columns))
        throw new LomasError('UNKNOWN_COLUMN', { column: name, dataset, known: all.join(', ') });
      if (name === metadata.privacy_id)
        throw new LomasError('PRIVACY_RULE', {
          rule: 'no-privacy-id',
          why: `"${name}" identifies the people in the data; a synthetic copy of it would link synthetic rows to real people.`,
          fix: `Leave "${name}" out of columns.`
        });
      const r = refusal(name, metadata.columns[name]);
      if (r) throw new LomasError('PRIVACY_RULE', r);
    }
    names = [...requested];
  } else {
    names = [];
    for (const name of all) {
      const r =
        name === metadata.privacy_id
          ? { rule: 'no-privacy-id' }
          : refusal(name, metadata.columns[name]);
      if (r) omitted.push({ column: name, reason: r.rule });
      else names.push(name);
    }
    if (names.length === 0)
      throw new LomasError('INVALID_PARAMETER', {
        parameter: 'columns',
        rule: `no column of "${dataset}" can be modelled (every one lacks public bounds or categories)`,
        fix: 'Ask an administrator to add bounds or categories to the metadata.'
      });
    if (names.length > SYNTHETIC_LIMITS.columns)
      throw new LomasError('INVALID_PARAMETER', {
        parameter: 'columns',
        rule: `"${dataset}" has ${names.length} columns that can be modelled, above the limit of ${SYNTHETIC_LIMITS.columns} per request`,
        fix: `Choose at most ${SYNTHETIC_LIMITS.columns} of them: columns: [${names
          .slice(0, 3)
          .map(n => `"${n}"`)
          .join(', ')}, …].`
      });
  }
  if (rows * names.length > SYNTHETIC_LIMITS.cells)
    throw new LomasError('INVALID_PARAMETER', {
      parameter: 'rows',
      rule: `${rows} rows × ${names.length} columns exceed the limit of ${SYNTHETIC_LIMITS.cells} cells per synthetic table`,
      fix: `Ask for at most ${Math.floor(SYNTHETIC_LIMITS.cells / names.length)} rows, or fewer columns.`
    });
  return { specs: names.map(n => specOf(n, metadata.columns[n])), omitted };
}
