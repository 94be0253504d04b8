import {
  BIGINT,
  BOOLEAN,
  DATE,
  DECIMAL,
  DOUBLE,
  HUGEINT,
  INTEGER,
  INTERVAL,
  TIMESTAMP,
  VARCHAR,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBTimestampValue,
  ENUM
} from '@duckdb/node-api';
import {
  KeyEncodingError,
  engineKeyDecoder,
  keyFromId,
  keyId,
  keyProduct,
  publicAtom,
  releaseValue,
  type KeyAtom
} from '../../src/query/keys';

const TWO_53 = 2n ** 53n;

describe('group keys: exact identity', () => {
  test('integers beyond 2^53 stay distinct (they merged as JS numbers)', () => {
    const int = engineKeyDecoder(BIGINT);
    // The derived key of the reported attack: cond(y == t, (2^53 − 1)·2 + 3, (2^53 − 1)·2 + 2).
    const a = int(TWO_53 * 2n);
    const b = int(TWO_53 * 2n + 1n);
    expect(Number(TWO_53 * 2n)).toBe(Number(TWO_53 * 2n + 1n)); // the old merge
    expect(keyId([a])).not.toBe(keyId([b]));
    const huge = engineKeyDecoder(HUGEINT);
    expect(keyId([huge(2n ** 100n)])).not.toBe(keyId([huge(2n ** 100n + 1n)]));
  });

  test('a public int equals the engine value of the same key, whatever its integer width', () => {
    const id = keyId([publicAtom(5, 'int')]);
    expect(keyId([engineKeyDecoder(BIGINT)(5n)])).toBe(id);
    expect(keyId([engineKeyDecoder(INTEGER)(5)])).toBe(id);
    expect(keyId([engineKeyDecoder(HUGEINT)(5n)])).toBe(id);
  });

  test('identity is typed: 5, "5", true, "true" and NULL are five keys', () => {
    const ids = [
      publicAtom(5, 'int'),
      publicAtom('5', 'string'),
      publicAtom(true, 'boolean'),
      publicAtom('true', 'string'),
      publicAtom(null, 'int')
    ].map(a => keyId([a]));
    expect(new Set(ids).size).toBe(5);
  });

  test('strings that look like separators or JSON do not collide', () => {
    const s = (v: string): KeyAtom => ({ type: 'string', value: v });
    const ids = [[s('a'), s('b')], [s('a","s:b')], [s('a:b')], [s(''), s('')], [s('')], []].map(k =>
      keyId(k)
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('keyFromId inverts keyId for every atom type', () => {
    const key: KeyAtom[] = [
      { type: 'null' },
      { type: 'boolean', value: false },
      { type: 'int', value: -(2n ** 127n) },
      { type: 'float', value: -0 },
      { type: 'decimal', unscaled: -15n, scale: 1 },
      { type: 'string', value: 'i:1","x' },
      { type: 'date', days: -719528n },
      { type: 'timestamp', micros: 1n }
    ];
    expect(keyFromId(keyId(key))).toEqual(key);
    expect(() => keyFromId('{"a":1}')).toThrow(KeyEncodingError);
  });

  test('decimals are compared by value, whatever the scale', () => {
    const dec = engineKeyDecoder(DECIMAL(18, 3));
    expect(keyId([dec(new DuckDBDecimalValue(1500n, 18, 3))])).toBe(
      keyId([engineKeyDecoder(DECIMAL(18, 1))(new DuckDBDecimalValue(15n, 18, 1))])
    );
    expect(keyId([dec(new DuckDBDecimalValue(1500n, 18, 3))])).not.toBe(
      keyId([dec(new DuckDBDecimalValue(1501n, 18, 3))])
    );
  });

  test('types without an exact encoding, and values of the wrong kind, fail closed', () => {
    expect(() => engineKeyDecoder(INTERVAL)).toThrow(KeyEncodingError);
    expect(() => engineKeyDecoder(BIGINT)(1.5)).toThrow(KeyEncodingError);
    expect(() => engineKeyDecoder(INTEGER)(2 ** 60)).toThrow(KeyEncodingError);
    expect(() => engineKeyDecoder(VARCHAR)(5)).toThrow(KeyEncodingError);
    expect(() => engineKeyDecoder(DATE)('2020-01-01')).toThrow(KeyEncodingError);
    expect(() => publicAtom(2 ** 60, 'int')).toThrow(KeyEncodingError);
    expect(() => publicAtom('5', 'int')).toThrow(KeyEncodingError);
  });

  test('keyProduct: the last list varies fastest', () => {
    expect(
      keyProduct<number | string>([
        [1, 2],
        ['a', 'b']
      ])
    ).toEqual([
      [1, 'a'],
      [1, 'b'],
      [2, 'a'],
      [2, 'b']
    ]);
    expect(keyProduct([])).toEqual([[]]);
    expect(keyProduct([[1], []])).toEqual([]);
  });
});

describe('group keys: the one JSON encoding of released key values', () => {
  const int = engineKeyDecoder(BIGINT);
  const max = 2n ** 53n - 1n;

  test('integers: JSON numbers within ±(2^53 − 1), decimal strings beyond', () => {
    expect(releaseValue(int(max))).toBe(Number.MAX_SAFE_INTEGER);
    expect(releaseValue(int(-max))).toBe(-Number.MAX_SAFE_INTEGER);
    expect(releaseValue(int(max + 1n))).toBe('9007199254740992');
    expect(releaseValue(int(-max - 1n))).toBe('-9007199254740992');
    expect(releaseValue(int(TWO_53 * 2n + 3n))).toBe('18014398509481987');
    expect(releaseValue(engineKeyDecoder(HUGEINT)(-(2n ** 127n)))).toBe(
      '-170141183460469231731687303715884105728'
    );
  });

  test('decimals: exact decimal strings without trailing zeros', () => {
    const dec = (v: bigint, s: number) =>
      releaseValue(engineKeyDecoder(DECIMAL(38, s))(new DuckDBDecimalValue(v, 38, s)));
    expect(dec(-150n, 2)).toBe('-1.5');
    expect(dec(5n, 2)).toBe('0.05');
    expect(dec(300n, 2)).toBe('3');
    expect(dec(10n ** 37n + 1n, 10)).toBe('1000000000000000000000000000.0000000001');
  });

  test('dates and timestamps: ISO 8601 (expanded years outside 0000–9999, infinities named)', () => {
    const date = engineKeyDecoder(DATE);
    const ts = engineKeyDecoder(TIMESTAMP);
    expect(releaseValue(date(new DuckDBDateValue(0)))).toBe('1970-01-01');
    expect(releaseValue(date(new DuckDBDateValue(18262)))).toBe('2020-01-01');
    expect(releaseValue(date(new DuckDBDateValue(-719528)))).toBe('0000-01-01');
    expect(releaseValue(date(new DuckDBDateValue(-719529)))).toBe('-000001-12-31');
    expect(releaseValue(date(DuckDBDateValue.Max))).toBe('+5881580-07-10');
    expect(releaseValue(date(DuckDBDateValue.PosInf))).toBe('infinity');
    expect(releaseValue(date(DuckDBDateValue.NegInf))).toBe('-infinity');
    expect(releaseValue(ts(new DuckDBTimestampValue(1_577_872_800_000_000n)))).toBe(
      '2020-01-01T10:00:00Z'
    );
    expect(releaseValue(ts(new DuckDBTimestampValue(-1n)))).toBe('1969-12-31T23:59:59.999999Z');
    expect(releaseValue(ts(DuckDBTimestampValue.Max))).toBe('+294247-01-10T04:00:54.775806Z');
    expect(releaseValue(ts(DuckDBTimestampValue.PosInf))).toBe('infinity');
  });

  test('strings (ENUM too), booleans, floats and NULL', () => {
    expect(releaseValue(engineKeyDecoder(ENUM(['a', 'b']))('b'))).toBe('b');
    expect(releaseValue(engineKeyDecoder(BOOLEAN)(false))).toBe(false);
    expect(releaseValue(engineKeyDecoder(DOUBLE)(0.1))).toBe(0.1);
    expect(releaseValue(engineKeyDecoder(DOUBLE)(NaN))).toBe('NaN');
    expect(releaseValue(engineKeyDecoder(VARCHAR)(null))).toBeNull();
  });
});
