import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';

/**
 * Draws a result's Vega-Lite v5 chart by delegating to JupyterLab's own Vega renderer
 * (`@jupyterlab/vega5-extension`), so the extension never bundles vega. The spec is adapted to the
 * output area (width measured from the container, a modest height, no duplicate title) and to the
 * current theme (transparent background, jp-* colours read when drawing); the chart is drawn again
 * when the container is resized or the theme changes.
 */

export const VEGALITE5_MIME = 'application/vnd.vegalite.v5+json';

/** What the renderer needs from the IRenderMimeRegistry (kept small so tests can fake it). */
export interface ChartRenderers {
  getFactory(mimeType: string): IRenderMime.IRendererFactory | undefined;
  createRenderer(mimeType: string): IRenderMime.IRenderer;
}

export interface ChartTheme {
  dark: boolean;
  text: string;
  muted: string;
  grid: string;
  accent: string;
  font: string;
}

const LIGHT: ChartTheme = {
  dark: false,
  text: '#212121',
  muted: '#616161',
  grid: '#e0e0e0',
  accent: '#1976d2',
  font: 'system-ui, sans-serif'
};

/** The theme from JupyterLab's CSS variables on <body> (defaults outside JupyterLab). */
export function currentTheme(): ChartTheme {
  if (typeof document === 'undefined' || !document.body) return LIGHT;
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string): string =>
    css.getPropertyValue(name).trim() || fallback;
  return {
    dark: document.body.dataset.jpThemeLight === 'false',
    text: v('--jp-ui-font-color1', LIGHT.text),
    muted: v('--jp-ui-font-color2', LIGHT.muted),
    grid: v('--jp-border-color2', LIGHT.grid),
    accent: v('--jp-brand-color1', LIGHT.accent),
    font: v('--jp-ui-font-family', LIGHT.font)
  };
}

export const CHART_HEIGHT = 220;
/** Room vega-embed keeps on the right for its actions button. */
const ACTIONS_ROOM = 40;

/**
 * A copy of the spec for drawing: numeric width that fits the container (for `width: 'container'`
 * or no width), a default height, no title (the result's header already shows it), and a
 * theme-following config merged under the spec's own config.
 */
export function themedSpec(
  spec: Record<string, unknown>,
  theme: ChartTheme,
  containerWidth: number
): Record<string, unknown> {
  const { title: _title, ...rest } = spec;
  void _title;
  const out: Record<string, unknown> = { ...rest };
  if (out.width === undefined || out.width === 'container') {
    out.width = Math.max(160, Math.floor(containerWidth) - ACTIONS_ROOM);
    out.autosize = { type: 'fit-x', contains: 'padding' };
  }
  if (out.height === undefined || out.height === 'container') out.height = CHART_HEIGHT;
  const axis = {
    labelColor: theme.muted,
    titleColor: theme.text,
    domainColor: theme.muted,
    tickColor: theme.muted,
    gridColor: theme.grid,
    labelFont: theme.font,
    titleFont: theme.font
  };
  const own = (typeof spec.config === 'object' && spec.config) || {};
  out.config = {
    background: 'transparent',
    font: theme.font,
    view: { stroke: null },
    axis,
    // Category names read horizontally (vega-lite turns them vertical by default).
    axisX: { labelAngle: 0, labelOverlap: 'parity' },
    legend: { labelColor: theme.muted, titleColor: theme.text },
    title: { color: theme.text },
    bar: { color: theme.accent, opacity: theme.dark ? 0.85 : 0.75 },
    point: { color: theme.accent },
    rule: { color: theme.text },
    ...(own as Record<string, unknown>)
  };
  return out;
}

/** Vega-embed options passed through the MIME metadata: SVG (crisp, testable), export only. */
export const EMBED_OPTIONS = {
  renderer: 'svg',
  actions: { export: true, source: false, compiled: false, editor: false }
};

export type ChartState = 'pending' | 'rendered' | 'unavailable' | 'failed';

export class ChartView {
  readonly node: HTMLElement;
  private readonly host: HTMLElement;
  private child: IRenderMime.IRenderer | undefined;
  private generation = 0;
  private width = 0;
  private observer: ResizeObserver | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(
    private readonly spec: Record<string, unknown>,
    private readonly renderers: ChartRenderers | undefined,
    private readonly trusted: boolean
  ) {
    this.node = document.createElement('div');
    this.node.className = 'jp-LomasResult-chart';
    this.host = document.createElement('div');
    this.host.className = 'jp-LomasResult-chartHost';
    this.node.appendChild(this.host);
    this.setState('pending');
  }

  get state(): ChartState {
    return this.node.dataset.lomasChart as ChartState;
  }

  private setState(s: ChartState): void {
    this.node.dataset.lomasChart = s;
  }

  /** Draws once the container has a width, then again whenever it changes noticeably. */
  start(): Promise<void> {
    if (!this.renderers || !this.renderers.getFactory(VEGALITE5_MIME)) {
      this.fallback(
        'unavailable',
        "Chart not shown: JupyterLab's Vega-Lite renderer (@jupyterlab/vega5-extension) is not enabled. The table above has the same numbers."
      );
      return Promise.resolve();
    }
    if (typeof ResizeObserver === 'undefined') return this.draw(560);
    this.observer = new ResizeObserver(entries => {
      const w = entries[entries.length - 1].contentRect.width;
      if (w > 0 && Math.abs(w - this.width) >= 8) this.schedule(w);
    });
    this.observer.observe(this.node);
    return Promise.resolve();
  }

  /** Draw again (the theme changed). */
  redraw(): void {
    if (this.width > 0 && this.state !== 'unavailable') this.schedule(this.width);
  }

  private schedule(width: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    // The first drawing goes at once; resizes and theme changes settle first.
    const delay = this.width === 0 ? 0 : 150;
    this.width = width;
    this.timer = setTimeout(() => void this.draw(width), delay);
  }

  async draw(width: number): Promise<void> {
    if (this.disposed || !this.renderers) return;
    this.width = width;
    const gen = ++this.generation;
    let child: IRenderMime.IRenderer;
    try {
      child = this.renderers.createRenderer(VEGALITE5_MIME);
    } catch (err) {
      this.fallback('failed', `Chart not shown: ${String(err)}`);
      return;
    }
    const data = { [VEGALITE5_MIME]: themedSpec(this.spec, currentTheme(), width) };
    const metadata = { [VEGALITE5_MIME]: { embed_options: { ...EMBED_OPTIONS } } };
    const model: IRenderMime.IMimeModel = {
      trusted: this.trusted,
      data: data as IRenderMime.IMimeModel['data'],
      metadata: metadata as IRenderMime.IMimeModel['metadata'],
      setData: () => undefined // the Vega renderer offers a PNG copy; this output keeps none
    };
    // Draw hidden over the previous drawing (same grid cell), then swap: no flicker on redraws.
    child.node.classList.add('jp-LomasResult-chartCanvas', 'jp-mod-drawing');
    this.host.appendChild(child.node);
    try {
      await child.renderModel(model);
    } catch (err) {
      child.dispose();
      if (gen === this.generation) this.fallback('failed', `Chart not shown: ${String(err)}`);
      return;
    }
    if (gen !== this.generation || this.disposed) {
      child.dispose();
      return;
    }
    const old = this.child;
    this.child = child;
    if (old) {
      old.node.remove();
      old.dispose();
    }
    child.node.classList.remove('jp-mod-drawing');
    this.setState('rendered');
  }

  private fallback(state: ChartState, message: string): void {
    this.child?.dispose();
    this.child = undefined;
    this.host.textContent = '';
    const p = document.createElement('div');
    p.className = 'jp-LomasResult-chartFallback';
    p.textContent = message;
    this.host.appendChild(p);
    this.setState(state);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.observer?.disconnect();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.child?.dispose();
    this.child = undefined;
  }
}
