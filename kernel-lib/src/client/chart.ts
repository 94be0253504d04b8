import type { ReleaseResponse } from '../protocol';

/** Statistics drawn as bars from zero (amounts); every other one is a point on its own scale. */
const BARS = new Set(['count', 'sum', 'histogram']);

/** The legend's words for a row that says little (ResultBundle.caveats). */
export const CAVEAT_LEGEND: Record<string, string> = {
  whole_range: 'interval covers the whole range',
  may_be_empty: 'group may be empty'
};
const ESTIMATE = 'estimate';

/** A data field name that no released column uses. */
function freeName(taken: Set<string>, base: string): string {
  let name = base;
  while (taken.has(name)) name += '_';
  return name;
}

/**
 * A Vega-Lite v5 spec for a release: counts and sums as bars from zero, means, variances and
 * quantiles as points (a bar from zero would claim the zero), each with its confidence interval as
 * a rule. Rows that say little (an interval over the whole range, a group that may be empty) are
 * drawn faint with a dashed interval, and the legend says why. Plain JSON, so any Vega-Lite
 * renderer (the Lomas extension, JupyterLab's own) can draw it. No `width: 'container'`: with it,
 * JupyterLab's own Vega renderer (the extension disabled) froze the page in Chromium; Vega-Lite's
 * default width (a step per group) suits a bar per group, and the extension fits the container.
 */
export function chartFor(release: ReleaseResponse): Record<string, unknown> | undefined {
  const key = release.columns.find(c => c.role === 'key');
  const estimates = release.columns.filter(c => c.role === 'estimate');
  const lower = release.columns.find(c => c.role === 'lower');
  const upper = release.columns.find(c => c.role === 'upper');
  if (!key || estimates.length !== 1 || release.rows.length === 0 || release.rows.length > 200)
    return undefined;
  const y = estimates[0].name;
  const kind = release.mechanisms[0]?.kind;
  const bars = kind === undefined || BARS.has(kind);
  const status = freeName(new Set(release.columns.map(c => c.name)), 'status');
  const caveat = new Map(
    (release.caveats ?? []).flatMap(c => c.rows.map(r => [r, CAVEAT_LEGEND[c.kind] ?? c.kind]))
  );
  const values = release.rows.map((r, i) => ({ ...r, [status]: caveat.get(i) ?? ESTIMATE }));
  const legend = [ESTIMATE, ...new Set(caveat.values())];
  const x = { field: key.name, type: 'nominal', sort: null };
  const faint = {
    condition: { test: `datum['${status}'] !== '${ESTIMATE}'`, value: 0.35 },
    value: 1
  };
  const scale = bars ? {} : { scale: { zero: false } };
  const estimate = {
    mark: bars
      ? { type: 'bar', tooltip: true }
      : { type: 'point', filled: true, size: 70, tooltip: true },
    encoding: { x, y: { field: y, type: 'quantitative', title: y, ...scale }, opacity: faint }
  };
  const interval = lower &&
    upper && {
      mark: { type: 'rule', strokeWidth: 2 },
      encoding: {
        x,
        y: { field: lower.name, type: 'quantitative', title: y, ...scale },
        y2: { field: upper.name },
        strokeDash: {
          field: status,
          type: 'nominal',
          scale: { domain: legend, range: legend.map(l => (l === ESTIMATE ? [1, 0] : [4, 3])) },
          legend: legend.length > 1 ? { title: null, orient: 'bottom' } : null
        },
        opacity: faint
      }
    };
  // Bars under their error bars; points over their intervals.
  const layers = !interval ? [estimate] : bars ? [estimate, interval] : [interval, estimate];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: release.title,
    data: { values },
    layer: layers
  };
}
