import type { ReleaseResponse } from '../protocol';

/**
 * A Vega-Lite v5 spec for a release: bars for estimates, rules for the confidence interval.
 * Plain JSON, so any Vega-Lite renderer (the Lomas extension, JupyterLab's own) can draw it.
 */
export function chartFor(release: ReleaseResponse): Record<string, unknown> | undefined {
  const key = release.columns.find(c => c.role === 'key');
  const estimates = release.columns.filter(c => c.role === 'estimate');
  const lower = release.columns.find(c => c.role === 'lower');
  const upper = release.columns.find(c => c.role === 'upper');
  if (!key || estimates.length !== 1 || release.rows.length === 0 || release.rows.length > 200)
    return undefined;
  const y = estimates[0].name;
  const layers: Record<string, unknown>[] = [
    {
      mark: { type: 'bar', tooltip: true },
      encoding: {
        x: { field: key.name, type: 'nominal', sort: null },
        y: { field: y, type: 'quantitative', title: y }
      }
    }
  ];
  if (lower && upper)
    layers.push({
      mark: { type: 'rule', strokeWidth: 2 },
      encoding: {
        x: { field: key.name, type: 'nominal', sort: null },
        y: { field: lower.name, type: 'quantitative' },
        y2: { field: upper.name }
      }
    });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: release.title,
    data: { values: release.rows },
    layer: layers,
    width: 'container'
  };
}
