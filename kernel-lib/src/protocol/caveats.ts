/**
 * How a release's caveats read, the same in the notebook's text and HTML and in the extension's
 * card: a mark on each marked cell, and one note per caveat naming its rows.
 */
import type { ReleaseCaveat, ReleaseResponse } from './result';

/** Marks a cell that says little; the note under the table says why. */
export const CAVEAT_MARK = '⚠';

/** Row labels a note lists before it says how many more rows it covers. */
export const CAVEAT_LABELS_SHOWN = 5;

/** The marked cells, as `${row}\0${column}`. */
export function caveatCells(release: Pick<ReleaseResponse, 'caveats'>): Set<string> {
  const marked = new Set<string>();
  for (const c of release.caveats ?? []) for (const r of c.rows) marked.add(`${r}\0${c.column}`);
  return marked;
}

/**
 * "⚠ Chinstrap: the interval covers …", one line per caveat; rows named by their keys (the column
 * without keys), the first few of many followed by how many more ("00M, 00R, 01A, 01G, 02A and
 * 3,142 more rows"). `cell` formats a key value as the table shows it.
 */
export function caveatNotes(
  release: Pick<ReleaseResponse, 'caveats' | 'columns' | 'rows'>,
  cell: (v: unknown) => string
): string[] {
  const keys = release.columns.filter(c => c.role === 'key').map(c => c.name);
  const label = (r: number) => keys.map(k => cell((release.rows[r] ?? {})[k])).join(', ');
  const sep = keys.length > 1 ? '; ' : ', ';
  return (release.caveats ?? []).map(c => {
    if (keys.length === 0) return `${CAVEAT_MARK} ${c.column}: ${c.text}`;
    const shown = c.rows.slice(0, CAVEAT_LABELS_SHOWN).map(label).join(sep);
    const more = c.rows.length - CAVEAT_LABELS_SHOWN;
    const labels = more > 0 ? `${shown} and ${more.toLocaleString('en-US')} more rows` : shown;
    return `${CAVEAT_MARK} ${labels}: ${c.text}`;
  });
}

/** One row's caveat, as a release finds it. */
export type RowCaveat = Omit<ReleaseCaveat, 'rows'> & { row: number };

/**
 * Row caveats in their wire form: one entry per (column, kind, text), naming its rows in
 * ascending order, each once — so a sentence travels once however many rows it covers.
 */
export function groupCaveats(caveats: Iterable<RowCaveat>): ReleaseCaveat[] {
  const groups = new Map<string, ReleaseCaveat>();
  for (const { row, ...c } of caveats) {
    const id = `${c.column}\0${c.kind}\0${c.text}`;
    const g = groups.get(id);
    if (g) g.rows.push(row);
    else groups.set(id, { rows: [row], ...c });
  }
  const out = [...groups.values()];
  for (const g of out) g.rows = [...new Set(g.rows)].sort((a, b) => a - b);
  return out;
}
