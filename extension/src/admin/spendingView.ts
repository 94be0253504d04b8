import { ChartView } from '../chart';
import { el } from '../dom';
import { spendingSeries, spendingSpec, totals, type SpendPoint } from './spending';
import { CLASS, table, type AdminContext, type Section } from './ui';

/** Spending over time per dataset and per analyst, drawn as Vega-Lite by JupyterLab's renderer. */
export class SpendingSection implements Section {
  readonly id = 'spending';
  readonly title = 'Spending';
  readonly node = el('section', `${CLASS}-section ${CLASS}-spending`);
  private charts: ChartView[] = [];

  constructor(private readonly ctx: AdminContext) {}

  async load(): Promise<void> {
    const [ledger, datasets] = await Promise.all([this.ctx.api.ledger(), this.ctx.api.datasets()]);
    const accounting = new Map(datasets.map(d => [d.name, d.accounting]));
    const byDataset = spendingSeries(ledger, n => accounting.get(n), 'dataset');
    const byAnalyst = spendingSeries(ledger, n => accounting.get(n), 'analyst');
    for (const c of this.charts) c.dispose();
    this.charts = [];
    this.node.textContent = '';
    if (byDataset.length === 0) {
      this.node.appendChild(el('p', `${CLASS}-note`, 'Nothing was spent yet.'));
      return;
    }
    this.node.append(
      this.block('Per dataset', 'dataset', byDataset),
      this.block('Per analyst and dataset', 'analyst', byAnalyst)
    );
  }

  private block(title: string, by: string, points: SpendPoint[]): HTMLElement {
    const box = el('div', `${CLASS}-spendingBlock`);
    box.dataset.by = by;
    box.appendChild(el('h4', `${CLASS}-formTitle`, title));
    const chart = new ChartView(
      spendingSpec(points, `Spent over time, ${title.toLowerCase()}`),
      this.ctx.charts,
      true
    );
    this.charts.push(chart);
    box.appendChild(chart.node);
    void chart.start();
    box.appendChild(
      table(
        ['Series', 'Spent so far'],
        totals(points).map(t => ({
          key: t.series,
          cells: [t.series, String(Number(t.spent.toPrecision(10)))]
        }))
      )
    );
    return box;
  }

  dispose(): void {
    for (const c of this.charts) c.dispose();
  }
}
