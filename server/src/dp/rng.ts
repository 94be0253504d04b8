import { createCipheriv, createHash, randomFillSync } from 'node:crypto';

/**
 * The only source of randomness of the DP engine. Production code uses {@link cryptoRng}; tests
 * may inject {@link seededRng}. Nothing else may produce random bits (the global Math PRNG is banned).
 */
export interface Rng {
  /** Fills `bytes` with uniformly random bytes. */
  fill(bytes: Uint8Array): void;
}

const POOL_BYTES = 65536;

/**
 * The production generator: bytes of node:crypto's CSPRNG, drawn 64 KiB at a time (one
 * randomFillSync per 64 KiB, not one syscall per draw). Bytes are wiped from the pool once handed
 * out.
 */
export function cryptoRng(): Rng {
  const pool = new Uint8Array(POOL_BYTES);
  let pos = POOL_BYTES;
  return {
    fill(bytes: Uint8Array): void {
      if (bytes.length >= POOL_BYTES) {
        randomFillSync(bytes);
        return;
      }
      let off = 0;
      while (off < bytes.length) {
        if (pos === POOL_BYTES) {
          randomFillSync(pool);
          pos = 0;
        }
        const n = Math.min(POOL_BYTES - pos, bytes.length - off);
        bytes.set(pool.subarray(pos, pos + n), off);
        pool.fill(0, pos, pos + n);
        pos += n;
        off += n;
      }
    }
  };
}

/**
 * A deterministic generator for TESTS ONLY: the AES-256-CTR keystream under the key
 * SHA-256(seed), i.e. a counter-mode generator. Same seed, same bytes. Never use it for a release:
 * anyone who knows the seed knows the noise.
 */
export function seededRng(seed: string): Rng {
  const key = createHash('sha256').update('lomas-dp-seeded-rng:').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return {
    fill(bytes: Uint8Array): void {
      const out = cipher.update(Buffer.alloc(bytes.length));
      bytes.set(out);
    }
  };
}

const BUFFER_BYTES = 4096;
const TWO_48 = 2 ** 48;

/** Bit length of a non-negative bigint (0 for 0). */
export function bitLength(n: bigint): number {
  if (n < 0n) n = -n;
  if (n < 9007199254740992n) {
    const x = Number(n);
    if (x < 4294967296) return 32 - Math.clz32(x);
    return 64 - Math.clz32(Math.floor(x / 4294967296));
  }
  const hex = n.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0], 16)));
}

/** A prepared bound for repeated uniform draws below the same bigint. */
export interface UniformBound {
  readonly n: bigint;
  readonly bytes: number;
  readonly threshold: bigint;
  readonly small: number; // n as a number when n <= 2^48, else 0
}

export function prepareBound(n: bigint): UniformBound {
  if (n <= 0n) throw new RangeError('uniform bound must be positive');
  if (n <= BigInt(TWO_48)) return { n, bytes: 0, threshold: 0n, small: Number(n) };
  const bytes = Math.ceil(bitLength(n) / 8);
  const range = 1n << BigInt(8 * bytes);
  return { n, bytes, threshold: range - (range % n), small: 0 };
}

/**
 * Hands out bits, bytes and uniform integers from an Rng, buffering 4 KiB at a time. Internal to
 * the samplers; one per Rng (see {@link entropy}).
 */
export class Entropy {
  private readonly buf = new Uint8Array(BUFFER_BYTES);
  private readonly view = Buffer.from(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private pos = BUFFER_BYTES;
  private bits = 0;
  private nbits = 0;

  constructor(private readonly rng: Rng) {}

  private refill(): void {
    this.rng.fill(this.buf);
    this.pos = 0;
  }

  byte(): number {
    if (this.pos === BUFFER_BYTES) this.refill();
    return this.buf[this.pos++];
  }

  /** One fair bit. */
  bit(): number {
    if (this.nbits === 0) {
      this.bits = this.byte();
      this.nbits = 8;
    }
    const b = this.bits & 1;
    this.bits >>>= 1;
    this.nbits--;
    return b;
  }

  /** Uniform in [0, n) for a safe integer 1 <= n <= 2^48, by rejection (no modulo bias). */
  uniformSmall(n: number): number {
    if (n === 1) return 0;
    let nb = 1;
    let range = 256;
    while (range < n) {
      nb++;
      range *= 256;
    }
    const threshold = range - (range % n);
    for (;;) {
      let r = 0;
      for (let i = 0; i < nb; i++) r = r * 256 + this.byte();
      if (r < threshold) return r % n;
    }
  }

  /** Reads `nb` bytes as a big-endian bigint. */
  private bigBytes(nb: number): bigint {
    if (BUFFER_BYTES - this.pos < nb) {
      // Keep byte order simple: take the remainder and the head of a fresh buffer.
      const tmp = Buffer.alloc(nb);
      for (let i = 0; i < nb; i++) tmp[i] = this.byte();
      return BigInt('0x' + tmp.toString('hex'));
    }
    const hex = this.view.toString('hex', this.pos, this.pos + nb);
    this.pos += nb;
    return BigInt('0x' + hex);
  }

  /** Uniform in [0, n) for a prepared bigint bound, by rejection (no modulo bias). */
  uniformBelow(b: UniformBound): bigint {
    if (b.small !== 0) return BigInt(this.uniformSmall(b.small));
    for (;;) {
      const r = this.bigBytes(b.bytes);
      if (r < b.threshold) return r % b.n;
    }
  }
}

const sources = new WeakMap<Rng, Entropy>();

/** The entropy buffer attached to an Rng (created on first use). */
export function entropy(rng: Rng): Entropy {
  let e = sources.get(rng);
  if (e === undefined) {
    e = new Entropy(rng);
    sources.set(rng, e);
  }
  return e;
}

/** Uniform integer in [0, n) without modulo bias (OpenDP sample_uniform_ubig_below). */
export function uniformBelow(n: bigint, rng: Rng): bigint {
  return entropy(rng).uniformBelow(prepareBound(n));
}
