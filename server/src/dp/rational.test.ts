import { LomasError } from 'lomas-kernel/protocol';
import {
  ceilLog2,
  floorLog2,
  fromFloatExact,
  toSignificant,
  parseAmount,
  parseFraction,
  Rational,
  toDecimal,
  toFraction,
  toNumber
} from './rational';
import { seededRng } from './rng';

function code(f: () => unknown): { code: string; parameter?: unknown } {
  try {
    f();
  } catch (e) {
    if (e instanceof LomasError) return { code: e.code, parameter: e.details.parameter };
    return { code: 'OTHER' };
  }
  return { code: 'NONE' };
}

describe('Rational', () => {
  it('does exact arithmetic in lowest terms', () => {
    const a = Rational.of(1n, 3n);
    const b = Rational.of(1n, 6n);
    expect(a.add(b).toString()).toBe('1/2');
    expect(a.sub(b).toString()).toBe('1/6');
    expect(a.mul(b).toString()).toBe('1/18');
    expect(a.div(b).toString()).toBe('2');
    expect(Rational.of(-6n, -4n).toString()).toBe('3/2');
    expect(Rational.of(7n, -2n).floor()).toBe(-4n);
    expect(Rational.of(7n, -2n).ceil()).toBe(-3n);
    expect(Rational.of(7n, 2n).round()).toBe(4n);
    expect(Rational.of(-7n, 2n).round()).toBe(-4n);
    expect(a.compare(b)).toBe(1);
    expect(Rational.of(2n, 4n).eq(Rational.of(1n, 2n))).toBe(true);
    expect(Rational.of(2n, 3n).pow(-2).toString()).toBe('9/4');
    expect(() => Rational.of(1n, 0n)).toThrow(RangeError);
  });

  it('log2 helpers are exact at powers of two', () => {
    expect(floorLog2(Rational.of(8n))).toBe(3);
    expect(floorLog2(Rational.of(7n))).toBe(2);
    expect(ceilLog2(Rational.of(7n))).toBe(3);
    expect(ceilLog2(Rational.pow2(-1074))).toBe(-1074);
    expect(floorLog2(Rational.of(1n, 3n))).toBe(-2);
  });
});

describe('parseAmount reads the exact decimal', () => {
  it('0.001 is exactly 1/1000, numbers via String(x)', () => {
    expect(toFraction(parseAmount(0.001))).toBe('1/1000');
    expect(toFraction(parseAmount('0.001'))).toBe('1/1000');
    expect(toFraction(parseAmount(1e-7))).toBe('1/10000000');
    expect(toFraction(parseAmount('2.5E3'))).toBe('2500/1');
    expect(toFraction(parseAmount(0))).toBe('0/1');
    expect(toFraction(parseAmount(0.1 + 0.2))).toBe('7500000000000001/25000000000000000');
  });
  it.each([
    NaN,
    Infinity,
    -Infinity,
    -1,
    -0.5,
    '-1',
    'abc',
    '1e',
    '1e5e3',
    '0x10',
    '',
    ' 1',
    '1.',
    '.5',
    '1e99999',
    '1/2'
  ])('rejects %p with INVALID_PARAMETER naming the parameter', bad => {
    expect(code(() => parseAmount(bad as string | number, 'epsilon'))).toEqual({
      code: 'INVALID_PARAMETER',
      parameter: 'epsilon'
    });
  });
});

describe('fromFloatExact / toNumber', () => {
  it('decodes IEEE-754 exactly', () => {
    expect(toFraction(fromFloatExact(0.1))).toBe('3602879701896397/36028797018963968');
    expect(toFraction(fromFloatExact(-2.5))).toBe('-5/2');
    expect(toFraction(fromFloatExact(5e-324))).toBe(`1/${1n << 1074n}`);
    expect(fromFloatExact(Number.MAX_VALUE).den).toBe(1n);
    expect(code(() => fromFloatExact(NaN, 'bounds.lower'))).toEqual({
      code: 'INVALID_PARAMETER',
      parameter: 'bounds.lower'
    });
  });
  it('round-trips random doubles (normal, subnormal, huge)', () => {
    const rng = seededRng('doubles');
    const bytes = new Uint8Array(8);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < 3000; i++) {
      rng.fill(bytes);
      const x = view.getFloat64(0);
      if (!Number.isFinite(x)) continue;
      expect(toNumber(fromFloatExact(x))).toBe(x);
    }
  });
  it('rounds to nearest (ties to even), up and down', () => {
    expect(toNumber(Rational.of(1n, 3n))).toBe(1 / 3);
    expect(toNumber(Rational.of(1n, 3n), 'up')).toBeGreaterThan(1 / 3);
    expect(toNumber(Rational.of(1n, 3n), 'down')).toBe(1 / 3); // the double 1/3 lies below 1/3
    expect(toNumber(Rational.of(-1n, 3n), 'down')).toBeLessThan(-1 / 3);
    // 2^53 + 1 is a tie between 2^53 and 2^53 + 2: even wins
    expect(toNumber(Rational.of(2n ** 53n + 1n))).toBe(2 ** 53);
    expect(toNumber(Rational.of(2n ** 53n + 3n))).toBe(2 ** 53 + 4);
    expect(toNumber(Rational.of(1n << 2000n))).toBe(Infinity);
    expect(toNumber(Rational.of(1n << 2000n), 'down')).toBe(Number.MAX_VALUE);
    expect(toNumber(Rational.of(1n, 1n << 1076n))).toBe(0);
    expect(toNumber(Rational.of(1n, 1n << 1076n), 'up')).toBe(5e-324);
    expect(toNumber(Rational.of(3n, 1n << 1075n))).toBe(1e-323); // 1.5 ulps: tie → even (2 ulps)
  });
});

describe('decimal and fraction strings', () => {
  it('toDecimal rounds up or down', () => {
    expect(toDecimal(Rational.of(1n, 3n), 6, 'up')).toBe('0.333334');
    expect(toDecimal(Rational.of(1n, 3n), 6, 'down')).toBe('0.333333');
    expect(toDecimal(Rational.of(-1n, 3n), 6, 'up')).toBe('-0.333333');
    expect(toDecimal(Rational.of(-1n, 3n), 6, 'down')).toBe('-0.333334');
    expect(toDecimal(Rational.of(5n, 2n), 6, 'up')).toBe('2.5');
    expect(toDecimal(Rational.of(3n), 0, 'up')).toBe('3');
  });
  it('toFraction / parseFraction round-trip and reject junk', () => {
    const r = Rational.of(-22n, 7n);
    expect(parseFraction(toFraction(r)).eq(r)).toBe(true);
    expect(parseFraction('4/2').toString()).toBe('2');
    expect(code(() => parseFraction('1/0', 'cost'))).toEqual({
      code: 'INVALID_PARAMETER',
      parameter: 'cost'
    });
    expect(code(() => parseFraction('1.5/2', 'cost'))).toEqual({
      code: 'INVALID_PARAMETER',
      parameter: 'cost'
    });
  });
});

describe('toSignificant', () => {
  it('rounds to significant digits, exactly, in plain or scientific notation', () => {
    expect(toSignificant(Rational.of(2n), 6, 'up')).toBe('2');
    expect(toSignificant(Rational.of(1n, 3n), 6, 'up')).toBe('0.333334');
    expect(toSignificant(Rational.of(1n, 3n), 6, 'down')).toBe('0.333333');
    expect(toSignificant(Rational.of(123456789n), 6, 'up')).toBe('123457000');
    expect(toSignificant(Rational.of(999999999n), 6, 'up')).toBe('1000000000');
    expect(toSignificant(Rational.of(2n, 10n ** 300n), 6, 'up')).toBe('2e-300');
    expect(toSignificant(Rational.of(20000001n, 10n ** 307n), 6, 'up')).toBe('2.00001e-300');
    expect(toSignificant(Rational.of(10n ** 30n), 6, 'up')).toBe('1e+30');
    expect(toSignificant(Rational.of(15n, 10n ** 7n), 6, 'up')).toBe('0.0000015');
    expect(toSignificant(Rational.ZERO, 6, 'up')).toBe('0');
  });
});
