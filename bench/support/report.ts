/**
 * One format for every benchmark figure (issue 16): a figure is a named set of samples summarised
 * as median, p10–p90 and n, in one unit. `npm run bench` collects the figures of every benchmark
 * into one table and one JSON file; `npm run bench:anchors` uses the same summary.
 *
 * A benchmark calls `record(...)` for each figure; when BENCH_RESULTS names a file (bench/run.sh
 * sets it), each figure is appended to it as one JSON line.
 */
import { appendFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';

export interface Figure {
  bench: string;
  figure: string;
  unit: string;
  n: number;
  median: number;
  p10: number;
  p90: number;
  /** Set when a target applies: the target in words and whether the median meets it. */
  target?: string;
  met?: boolean;
}

/** The q-quantile of samples by linear interpolation between order statistics. */
export function quantile(samples: number[], q: number): number {
  const s = [...samples].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function summarize(bench: string, figure: string, unit: string, samples: number[]): Figure {
  return {
    bench,
    figure,
    unit,
    n: samples.length,
    median: quantile(samples, 0.5),
    p10: quantile(samples, 0.1),
    p90: quantile(samples, 0.9)
  };
}

/** Summarises and, under bench/run.sh, appends the figure to $BENCH_RESULTS. */
export function record(
  bench: string,
  figure: string,
  unit: string,
  samples: number[],
  target?: { text: string; met: boolean }
): Figure {
  const f = summarize(bench, figure, unit, samples);
  if (target) Object.assign(f, { target: target.text, met: target.met });
  const file = process.env.BENCH_RESULTS;
  if (file) appendFileSync(file, JSON.stringify(f) + '\n');
  return f;
}

export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  freeGiB: number;
  node: string;
  loadAverage: number[];
  date: string;
}

export function machine(): Machine {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    ramGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    freeGiB: Math.round((freemem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    loadAverage: loadavg().map(x => Math.round(x * 100) / 100),
    date: new Date().toISOString()
  };
}

export function describeMachine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, Node ${m.node}, load average ${m.loadAverage.join(' ')} (${m.date})`;
}

const fmt = (x: number) =>
  !Number.isFinite(x)
    ? '–'
    : Math.abs(x) >= 100
      ? x.toFixed(0)
      : Math.abs(x) >= 10
        ? x.toFixed(1)
        : x.toFixed(2);

/** A fixed-width text table: figure, median, p10–p90, n, unit (and the target when set). */
export function table(figures: Figure[]): string {
  const rows = figures.map(f => [
    `${f.bench}: ${f.figure}`,
    fmt(f.median),
    f.n > 1 ? `${fmt(f.p10)}–${fmt(f.p90)}` : '–',
    String(f.n),
    f.unit,
    f.target ? `${f.target}: ${f.met ? 'met' : 'MISSED'}` : ''
  ]);
  const head = ['figure', 'median', 'p10–p90', 'n', 'unit', 'target'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 1 || i === 2 || i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map(w => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
