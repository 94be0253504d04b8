import { parseDatasetInfo } from './validate';

/**
 * A dataset's public metadata (GET /v1/datasets/{name}), read with the protocol's schema, into
 * display records for the side panel. Pure and DOM-free (unit-tested).
 */

export interface ColumnInfo {
  name: string;
  type: string;
  /** "2700 – 6300", "Adelie, Chinstrap, Gentoo", "nullable", joined with " · ". */
  detail: string;
}

export interface DatasetInfo {
  name: string;
  description?: string;
  accounting?: string;
  /** Public facts of the metadata: rows, max_ids. */
  facts: string[];
  columns: ColumnInfo[];
}

function num(v: unknown): string | undefined {
  return typeof v === 'number' && Number.isFinite(v)
    ? v.toLocaleString('en-US')
    : typeof v === 'string'
      ? v
      : undefined;
}

/** GET /v1/datasets/{name}: `{ name, description, accounting, metadata: { columns } }`. */
export function normalizeDatasetInfo(body: unknown): DatasetInfo {
  const info = parseDatasetInfo(body);
  const m = info.metadata;
  const facts: string[] = [];
  if (typeof m.rows === 'number') facts.push(`${num(m.rows)} rows (public)`);
  if (typeof m.max_ids === 'number' && m.max_ids > 1)
    facts.push(`up to ${m.max_ids} rows per person`);
  const columns: ColumnInfo[] = [];
  for (const [name, column] of Object.entries(m.columns)) {
    const c = column as Record<string, unknown>;
    const bits: string[] = [];
    const lo = num(c.lower);
    const hi = num(c.upper);
    if (lo !== undefined || hi !== undefined) bits.push(`${lo ?? '?'} – ${hi ?? '?'}`);
    if (Array.isArray(c.categories)) {
      const cats = c.categories.filter(x => typeof x === 'string') as string[];
      bits.push(
        cats.length > 6 ? `${cats.slice(0, 5).join(', ')}, … (${cats.length})` : cats.join(', ')
      );
    }
    if (c.nullable === true) bits.push('nullable');
    columns.push({
      name,
      type: typeof c.type === 'string' ? c.type : '?',
      detail: bits.join(' · ')
    });
  }
  return {
    name: info.name,
    ...(info.description ? { description: info.description } : {}),
    accounting: info.accounting,
    facts,
    columns
  };
}
