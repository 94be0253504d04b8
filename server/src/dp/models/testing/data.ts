/**
 * Test data for the models' statistical tests: a small seeded generator (the data, not the noise:
 * noise always comes from the measurements' Rng) and the vega-datasets penguins with a fixed
 * held-apart split.
 */
import { readFileSync } from 'node:fs';
import { vegaFile } from '../../../datasets/connectors/vega';

/** mulberry32: reproducible uniforms in [0, 1) for generating test data. */
export function uniforms(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal from two uniforms (Box–Muller). */
export function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

export const PENGUIN_SPECIES = ['Adelie', 'Chinstrap', 'Gentoo'] as const;
export const PENGUIN_FEATURES = {
  bill_length_mm: { source: 'Beak Length (mm)', lower: 30, upper: 60 },
  bill_depth_mm: { source: 'Beak Depth (mm)', lower: 13, upper: 22 },
  flipper_length_mm: { source: 'Flipper Length (mm)', lower: 170, upper: 235 },
  body_mass_g: { source: 'Body Mass (g)', lower: 2500, upper: 6500 }
} as const;
export type PenguinFeature = keyof typeof PENGUIN_FEATURES;

export interface Penguin {
  species: string;
  island: string;
  bill_length_mm: number | null;
  bill_depth_mm: number | null;
  flipper_length_mm: number | null;
  body_mass_g: number | null;
  sex: string | null;
}

/** The 344 penguins of vega-datasets, with identifier column names. */
export function penguins(): Penguin[] {
  const raw = JSON.parse(readFileSync(vegaFile('penguins').path, 'utf8')) as Array<
    Record<string, unknown>
  >;
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  return raw.map(r => ({
    species: String(r.Species),
    island: String(r.Island),
    bill_length_mm: num(r['Beak Length (mm)']),
    bill_depth_mm: num(r['Beak Depth (mm)']),
    flipper_length_mm: num(r['Flipper Length (mm)']),
    body_mass_g: num(r['Body Mass (g)']),
    sex: typeof r.Sex === 'string' ? r.Sex : null
  }));
}

/** A fixed split: every fifth penguin (by position) is held apart for testing, the rest train. */
export function penguinSplit(): { train: Penguin[]; test: Penguin[] } {
  const all = penguins();
  return { train: all.filter((_, i) => i % 5 !== 2), test: all.filter((_, i) => i % 5 === 2) };
}

/** Complete rows as (x, class index) for the given features. */
export function penguinRows(
  list: readonly Penguin[],
  features: readonly PenguinFeature[]
): Array<{ x: number[]; y: number }> {
  return list
    .filter(p => features.every(f => p[f] !== null))
    .map(p => ({
      x: features.map(f => p[f] as number),
      y: PENGUIN_SPECIES.indexOf(p.species as (typeof PENGUIN_SPECIES)[number])
    }));
}

export function penguinBounds(features: readonly PenguinFeature[]) {
  return features.map(f => ({
    lower: PENGUIN_FEATURES[f].lower,
    upper: PENGUIN_FEATURES[f].upper
  }));
}
