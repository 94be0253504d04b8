import { createHash } from 'node:crypto';
import type { DatasetMetadata } from 'lomas-kernel/protocol';

/**
 * Dummy datasets: synthetic rows that respect the PUBLIC metadata only (types, bounds, categories,
 * nullability, privacy-unit structure). They are reproducible per (metadata, rows, seed) and free
 * to query: they contain nothing from the private data. This is NOT DP code and needs no CSPRNG;
 * the generator is SHA-256 in counter mode over the seed (deterministic on every platform;
 * no predictable platform generator is used anywhere on the server).
 *
 * Values: int uniform on [lower, upper]; float uniform on [lower, upper] (rounded to 4 decimals);
 * string uniform over the categories (else "<column>_<0..9>"); boolean fair coin; datetime uniform
 * between the bounds (ISO 8601 text). Missing bounds fall back to [0, 100] (or the one known bound
 * ± 100; datetimes 2000-01-01 … 2030-01-01). Nullable columns are NULL with probability 5%.
 * The privacy_id column holds ids with exactly max_ids rows each (the last id may have fewer).
 * Columns are independent (no correlations are modelled).
 */

export const NULL_RATE = 0.05;

/** SHA-256 counter-mode generator: block i = SHA-256(seed ‖ i), read as eight uint32. */
export class SeededStream {
  private block = new Uint32Array(0);
  private pos = 0;
  private counter = 0;
  constructor(private readonly seed: string) {}

  nextUint32(): number {
    if (this.pos >= this.block.length) {
      const h = createHash('sha256')
        .update(`lomas-dummy\u0000${this.seed}\u0000${this.counter++}`)
        .digest();
      this.block = new Uint32Array(h.buffer, h.byteOffset, 8);
      this.pos = 0;
    }
    return this.block[this.pos++];
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [lo, hi] (inclusive), unbiased by rejection. */
  int(lo: number, hi: number): number {
    const span = hi - lo + 1;
    if (span <= 1) return lo;
    if (span <= 2 ** 32) {
      const limit = Math.floor(2 ** 32 / span) * span;
      for (;;) {
        const x = this.nextUint32();
        if (x < limit) return lo + (x % span);
      }
    }
    return lo + Math.floor(this.uniform() * span);
  }
}

function numericRange(lower: number | undefined, upper: number | undefined): [number, number] {
  if (lower !== undefined && upper !== undefined) return [lower, upper];
  if (lower !== undefined) return [lower, lower + 100];
  if (upper !== undefined) return [upper - 100, upper];
  return [0, 100];
}

export type DummyRow = Record<string, string | number | boolean | null>;

/** `rows` synthetic rows for the metadata, reproducible per seed. */
export function dummyRows(
  metadata: DatasetMetadata,
  rows: number,
  seed: number | string
): DummyRow[] {
  if (!Number.isSafeInteger(rows) || rows < 0)
    throw new RangeError('rows must be a non-negative integer');
  const rng = new SeededStream(String(seed));
  const cols = Object.entries(metadata.columns);
  const dtDefault: [number, number] = [Date.UTC(2000, 0, 1), Date.UTC(2030, 0, 1)];
  const out: DummyRow[] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    const row: DummyRow = {};
    for (const [name, c] of cols) {
      if (name === metadata.privacy_id) {
        const id = Math.floor(r / metadata.max_ids);
        row[name] = c.type === 'int' || c.type === 'float' ? id : `id_${id}`;
        continue;
      }
      // Draw the null coin first, always, so a column's stream position does not depend on values.
      const isNull = c.nullable && rng.uniform() < NULL_RATE;
      let v: string | number | boolean | null;
      switch (c.type) {
        case 'int': {
          const [lo, hi] = numericRange(c.lower, c.upper);
          v = rng.int(Math.ceil(lo), Math.floor(hi));
          break;
        }
        case 'float': {
          const [lo, hi] = numericRange(c.lower, c.upper);
          v = Math.min(hi, Math.max(lo, Math.round((lo + rng.uniform() * (hi - lo)) * 1e4) / 1e4));
          break;
        }
        case 'string':
          v =
            c.categories && c.categories.length > 0
              ? c.categories[rng.int(0, c.categories.length - 1)]
              : `${name}_${rng.int(0, 9)}`;
          break;
        case 'boolean':
          v = rng.int(0, 1) === 1;
          break;
        case 'datetime': {
          const lo = c.lower !== undefined ? Date.parse(c.lower) : dtDefault[0];
          const hi = c.upper !== undefined ? Date.parse(c.upper) : dtDefault[1];
          const ms =
            Number.isFinite(lo) && Number.isFinite(hi) && hi >= lo
              ? lo + Math.floor(rng.uniform() * (hi - lo))
              : dtDefault[0];
          v = new Date(ms).toISOString();
          break;
        }
      }
      row[name] = isNull ? null : v;
    }
    out[r] = row;
  }
  return out;
}
