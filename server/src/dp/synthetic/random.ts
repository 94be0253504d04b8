/**
 * Uniform draws for post-processing (sampling synthetic rows), from the engine's Rng only:
 * exact uniform integers (rejection, no modulo bias) and 53-bit uniforms in [0, 1).
 */
import type { Entropy } from '../rng';

/** Uniform in [0, 1) with 53 random bits (two exact uniform integers). */
export function uniform01(e: Entropy): number {
  const hi = e.uniformSmall(2 ** 26);
  const lo = e.uniformSmall(2 ** 27);
  return (hi * 2 ** 27 + lo) / 2 ** 53;
}

/** Fisher–Yates shuffle in place with exact uniform integers. */
export function shuffle(a: Int32Array, e: Entropy): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = e.uniformSmall(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
