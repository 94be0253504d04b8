/**
 * A dataset's public metadata (GET /v1/datasets/{name}), from untrusted server JSON into display
 * records for the side panel. Pure and DOM-free (unit-tested).
 */

export class ServerShapeError extends Error {}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

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
export function normalizeDatasetInfo(body: unknown, fallbackName: string): DatasetInfo {
  if (!isObject(body) || !isObject(body.metadata) || !isObject(body.metadata.columns))
    throw new ServerShapeError('The server answered, but not with dataset metadata.');
  const m = body.metadata;
  const facts: string[] = [];
  if (typeof m.rows === 'number') facts.push(`${num(m.rows)} rows (public)`);
  if (typeof m.max_ids === 'number' && m.max_ids > 1)
    facts.push(`up to ${m.max_ids} rows per person`);
  const columns: ColumnInfo[] = [];
  for (const [name, c] of Object.entries(m.columns as Record<string, unknown>)) {
    if (!isObject(c)) continue;
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
    name: typeof body.name === 'string' ? body.name : fallbackName,
    ...(typeof body.description === 'string' && body.description
      ? { description: body.description }
      : {}),
    ...(typeof body.accounting === 'string' ? { accounting: body.accounting } : {}),
    facts,
    columns
  };
}
