/**
 * What the builder knows of the columns at each step, when it was given the dataset's public
 * metadata: used to raise unknown-column, type and privacy-rule errors before anything is sent.
 * Without metadata every check here is skipped and the server applies them.
 */
import { LomasError } from '../protocol/errors';
import type { Expr } from '../protocol/plan';

/** The part of DatasetMetadata the builder reads (DatasetMetadata is assignable to it). */
export interface QueryMetadata {
  columns: Record<
    string,
    {
      type: string;
      lower?: unknown;
      upper?: unknown;
      categories?: readonly string[];
      nullable?: boolean;
    }
  >;
}

export interface ColumnInfo {
  /** int, float, string, boolean, datetime, or unknown (a derived column of unstated type). */
  type: string;
  lower?: number;
  upper?: number;
  categories?: readonly string[];
}

export type Columns = ReadonlyMap<string, ColumnInfo>;

export function columnsFromMetadata(dataset: string, m: QueryMetadata | undefined): Columns | null {
  if (m === undefined) return null;
  if (m === null || typeof m !== 'object' || typeof m.columns !== 'object' || m.columns === null) {
    throw new LomasError('INVALID_PARAMETER', {
      parameter: 'metadata',
      rule: `the metadata of "${dataset}" has no columns`,
      fix: 'Pass the "metadata" object returned by dataset.metadata(), or nothing.'
    });
  }
  const cols = new Map<string, ColumnInfo>();
  for (const [name, c] of Object.entries(m.columns)) {
    cols.set(name, {
      type: c.type,
      lower: typeof c.lower === 'number' ? c.lower : undefined,
      upper: typeof c.upper === 'number' ? c.upper : undefined,
      categories: c.categories
    });
  }
  return cols;
}

/** Columns read by an expression. */
export function columnsOf(e: Expr, into: Set<string> = new Set()): Set<string> {
  switch (e.kind) {
    case 'col':
      into.add(e.name);
      break;
    case 'lit':
      break;
    case 'unary':
    case 'isnull':
      columnsOf(e.arg, into);
      break;
    case 'binary':
    case 'logical':
      columnsOf(e.left, into);
      columnsOf(e.right, into);
      break;
    case 'cond':
      columnsOf(e.test, into);
      columnsOf(e.then, into);
      columnsOf(e.else, into);
      break;
    case 'call':
      for (const a of e.args) columnsOf(a, into);
      break;
  }
  return into;
}

export function requireColumn(
  dataset: string,
  cols: Columns | null,
  name: string
): ColumnInfo | null {
  if (cols === null) return null;
  const c = cols.get(name);
  if (c === undefined) {
    throw new LomasError('UNKNOWN_COLUMN', {
      column: name,
      dataset,
      known: [...cols.keys()].join(', ')
    });
  }
  return c;
}

export function isNumeric(c: ColumnInfo): boolean {
  return c.type === 'int' || c.type === 'float' || c.type === 'unknown';
}
