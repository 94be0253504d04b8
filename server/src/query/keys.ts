import {
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  type DuckDBType,
  type DuckDBValue
} from '@duckdb/node-api';
import type { KeyValue, ValueType } from './types';

/**
 * Group keys, exact end to end. A key is a tuple of typed atoms holding the exact value DuckDB
 * returned (integers as bigint, decimals as unscaled bigint + scale, dates as days, timestamps as
 * microseconds). Two keys are the same group only if `keyId` says so, and `keyId` is injective:
 * no rounding (a BIGINT beyond 2^53 never becomes a JS number) and no type confusion (the int 5
 * and the string "5" differ). Public key values from a plan enter through `publicKey`, with the
 * type the validator gave their column, so a public int 5 is the same group as DuckDB's 5n.
 *
 * Released rows carry `releaseValue(atom)`: the ONE JSON encoding of key values (documented with
 * the result types in kernel-lib/src/protocol/result.ts):
 *  - integers within ±(2^53 − 1): JSON numbers; beyond: decimal strings ("18014398509481985");
 *  - decimals: exact decimal strings without trailing zeros ("-1.5", "0.05", "3");
 *  - dates: ISO 8601 "YYYY-MM-DD", timestamps "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" (UTC; years outside
 *    0000–9999 in ISO 8601's expanded form "+275760-09-13", year 0 = 1 BC; "infinity",
 *    "-infinity" for DuckDB's infinite values);
 *  - floats: JSON numbers, or "NaN", "Infinity", "-Infinity";
 *  - strings, booleans and NULL as themselves.
 */

export type KeyAtom =
  | { type: 'null' }
  | { type: 'boolean'; value: boolean }
  | { type: 'int'; value: bigint }
  | { type: 'float'; value: number }
  /** value = unscaled · 10^-scale, normalised: unscaled has no trailing zero digit when scale > 0. */
  | { type: 'decimal'; unscaled: bigint; scale: number }
  | { type: 'string'; value: string }
  | { type: 'date'; days: bigint }
  | { type: 'timestamp'; micros: bigint };

export type Key = readonly KeyAtom[];

/** A key value the engine cannot represent exactly: the query fails closed. */
export class KeyEncodingError extends Error {
  constructor(problem: string) {
    super(`group key: ${problem}`);
    this.name = 'KeyEncodingError';
  }
}

const NULL_ATOM: KeyAtom = { type: 'null' };
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

// ------------------------------------------------------------------------------------------------
// Identity
// ------------------------------------------------------------------------------------------------

function atomId(a: KeyAtom): string {
  switch (a.type) {
    case 'null':
      return 'n';
    case 'boolean':
      return a.value ? 'b:1' : 'b:0';
    case 'int':
      return `i:${a.value}`;
    case 'float':
      return `f:${Object.is(a.value, -0) ? '-0' : String(a.value)}`;
    case 'decimal':
      return `m:${a.unscaled}e-${a.scale}`;
    case 'string':
      return `s:${a.value}`;
    case 'date':
      return `d:${a.days}`;
    case 'timestamp':
      return `t:${a.micros}`;
  }
}

function atomFromId(s: string): KeyAtom {
  const body = s.slice(2);
  switch (s[0]) {
    case 'n':
      return NULL_ATOM;
    case 'b':
      return { type: 'boolean', value: body === '1' };
    case 'i':
      return { type: 'int', value: BigInt(body) };
    case 'f':
      return { type: 'float', value: Number(body) };
    case 'm': {
      const [unscaled, scale] = body.split('e-');
      return { type: 'decimal', unscaled: BigInt(unscaled), scale: Number(scale) };
    }
    case 's':
      return { type: 'string', value: body };
    case 'd':
      return { type: 'date', days: BigInt(body) };
    case 't':
      return { type: 'timestamp', micros: BigInt(body) };
    default:
      throw new KeyEncodingError(`malformed key id ${JSON.stringify(s)}`);
  }
}

/** The identity of a key: equal strings ⇔ the same group. Also the key the DP engine sees. */
export function keyId(key: Key): string {
  return JSON.stringify(key.map(atomId));
}

/** The key a `keyId` string stands for. */
export function keyFromId(id: string): KeyAtom[] {
  const parts: unknown = JSON.parse(id);
  if (!Array.isArray(parts) || parts.some(p => typeof p !== 'string'))
    throw new KeyEncodingError(`malformed key id ${JSON.stringify(id)}`);
  return (parts as string[]).map(atomFromId);
}

// ------------------------------------------------------------------------------------------------
// Public values (from the plan and the metadata)
// ------------------------------------------------------------------------------------------------

/** A public key value of a column of the given type (the validator's types: int, string, boolean). */
export function publicAtom(v: KeyValue, type: ValueType): KeyAtom {
  if (v === null) return NULL_ATOM;
  if (type === 'int' && typeof v === 'number' && Number.isSafeInteger(v))
    return { type: 'int', value: BigInt(v) };
  if (type === 'string' && typeof v === 'string') return { type: 'string', value: v };
  if (type === 'boolean' && typeof v === 'boolean') return { type: 'boolean', value: v };
  if (type === 'float' && typeof v === 'number') return { type: 'float', value: v };
  throw new KeyEncodingError(`public value ${JSON.stringify(v)} does not fit type ${type}`);
}

/** The public value list of each key column, as atoms of that column's type. */
export function publicKeyLists(
  values: readonly (readonly KeyValue[])[],
  types: readonly ValueType[]
): KeyAtom[][] {
  return values.map((list, i) => list.map(v => publicAtom(v, types[i])));
}

/** Every combination of the public value lists, the last list varying fastest (release order). */
export function keyProduct<T>(lists: readonly (readonly T[])[]): T[][] {
  return lists.reduce<T[][]>(
    (acc, list) => acc.flatMap(prefix => list.map(v => [...prefix, v])),
    [[]]
  );
}

// ------------------------------------------------------------------------------------------------
// Engine values
// ------------------------------------------------------------------------------------------------

const INT_TYPES = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.UHUGEINT
]);

function intOf(v: DuckDBValue): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw new KeyEncodingError(`an integer key arrived as ${typeof v}`);
}

function decimalAtom(v: DuckDBValue): KeyAtom {
  if (!(v instanceof DuckDBDecimalValue))
    throw new KeyEncodingError(`a decimal key arrived as ${typeof v}`);
  let unscaled = v.value;
  let scale = v.scale;
  while (scale > 0 && unscaled % 10n === 0n) {
    unscaled /= 10n;
    scale--;
  }
  return { type: 'decimal', unscaled, scale };
}

/**
 * The decoder of one result column's key values, chosen from its DuckDB type. Types without an
 * exact decoder (TIMESTAMP_NS, INTERVAL, LIST, …) throw: the query fails closed.
 */
export function engineKeyDecoder(t: DuckDBType): (v: DuckDBValue) => KeyAtom {
  const id = t.typeId;
  const nullable =
    (decode: (v: DuckDBValue) => KeyAtom) =>
    (v: DuckDBValue): KeyAtom =>
      v === null || v === undefined ? NULL_ATOM : decode(v);
  if (INT_TYPES.has(id)) return nullable(v => ({ type: 'int', value: intOf(v) }));
  switch (id) {
    case DuckDBTypeId.SQLNULL:
      return nullable(() => {
        throw new KeyEncodingError('a NULL-typed key held a value');
      });
    case DuckDBTypeId.BOOLEAN:
      return nullable(v => {
        if (typeof v !== 'boolean') throw new KeyEncodingError('a boolean key is not a boolean');
        return { type: 'boolean', value: v };
      });
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.ENUM:
      return nullable(v => {
        if (typeof v !== 'string') throw new KeyEncodingError('a string key is not a string');
        return { type: 'string', value: v };
      });
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return nullable(v => {
        if (typeof v !== 'number') throw new KeyEncodingError('a float key is not a number');
        return { type: 'float', value: v };
      });
    case DuckDBTypeId.DECIMAL:
      return nullable(decimalAtom);
    case DuckDBTypeId.DATE:
      return nullable(v => {
        if (!(v instanceof DuckDBDateValue)) throw new KeyEncodingError('a date key is not a date');
        return { type: 'date', days: BigInt(v.days) };
      });
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return nullable(v => {
        if (!(v instanceof DuckDBTimestampValue || v instanceof DuckDBTimestampTZValue))
          throw new KeyEncodingError('a timestamp key is not a timestamp');
        return { type: 'timestamp', micros: v.micros };
      });
    default:
      throw new KeyEncodingError(`keys of DuckDB type ${t.toString()} have no exact encoding`);
  }
}

/**
 * The decoder of one key column of a Trino result (its JSON protocol), chosen from the plan's
 * type of the key: integers and datetimes arrive as text (the Trino dialect casts them, since
 * Trino's JSON turns BIGINT into a lossy number), floats as numbers or "NaN"/"Infinity". Anything
 * else throws: the query fails closed.
 */
export function trinoKeyDecoder(type: ValueType): (v: unknown) => KeyAtom {
  return v => {
    if (v === null || v === undefined) return NULL_ATOM;
    switch (type) {
      case 'int':
        if (typeof v === 'string' && /^-?\d{1,20}$/.test(v))
          return { type: 'int', value: BigInt(v) };
        break;
      case 'float':
        if (typeof v === 'number') return { type: 'float', value: v };
        if (v === 'NaN' || v === 'Infinity' || v === '-Infinity')
          return { type: 'float', value: Number(v) };
        break;
      case 'string':
        if (typeof v === 'string') return { type: 'string', value: v };
        break;
      case 'boolean':
        if (typeof v === 'boolean') return { type: 'boolean', value: v };
        break;
      case 'datetime':
        if (typeof v === 'string') return { type: 'timestamp', micros: trinoMicros(v) };
        break;
    }
    throw new KeyEncodingError(`a ${type} key arrived from Trino as ${typeof v}`);
  };
}

/** Microseconds since 1970 of Trino's "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC, years 0000–9999). */
function trinoMicros(text: string): bigint {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) throw new KeyEncodingError('a datetime key from Trino has no exact encoding');
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number);
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, sec, 0);
  return BigInt(date.getTime()) * 1000n + BigInt((m[7] ?? '').padEnd(6, '0'));
}

// ------------------------------------------------------------------------------------------------
// Release encoding
// ------------------------------------------------------------------------------------------------

/** The JSON value of a key atom in a released row (the encoding documented above). */
export function releaseValue(a: KeyAtom): string | number | boolean | null {
  switch (a.type) {
    case 'null':
      return null;
    case 'boolean':
    case 'string':
      return a.value;
    case 'int':
      return a.value >= -MAX_SAFE && a.value <= MAX_SAFE ? Number(a.value) : a.value.toString();
    case 'float':
      return Number.isFinite(a.value) ? a.value : String(a.value);
    case 'decimal':
      return decimalString(a.unscaled, a.scale);
    case 'date':
      return isoDate(a.days);
    case 'timestamp':
      return isoTimestamp(a.micros);
  }
}

function decimalString(unscaled: bigint, scale: number): string {
  const sign = unscaled < 0n ? '-' : '';
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  if (scale === 0) return sign + digits;
  return `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

// DuckDB marks infinite dates and timestamps with the extreme values of their storage.
const DATE_INFINITY = 2147483647n;
const TIMESTAMP_INFINITY = 9223372036854775807n;

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Proleptic Gregorian civil date of a day count from 1970-01-01 (H. Hinnant's algorithm), in bigint. */
function civil(days: bigint): { y: bigint; m: bigint; d: bigint } {
  const z = days + 719468n;
  const era = floorDiv(z, 146097n);
  const doe = z - era * 146097n;
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const d = doy - (153n * mp + 2n) / 5n + 1n;
  const m = mp < 10n ? mp + 3n : mp - 9n;
  return { y: yoe + era * 400n + (m <= 2n ? 1n : 0n), m, d };
}

const pad = (n: bigint, width: number) => n.toString().padStart(width, '0');

function isoDate(days: bigint): string {
  if (days >= DATE_INFINITY) return 'infinity';
  if (days <= -DATE_INFINITY) return '-infinity';
  const { y, m, d } = civil(days);
  const year =
    y >= 0n && y <= 9999n ? pad(y, 4) : `${y < 0n ? '-' : '+'}${pad(y < 0n ? -y : y, 6)}`;
  return `${year}-${pad(m, 2)}-${pad(d, 2)}`;
}

function isoTimestamp(micros: bigint): string {
  if (micros >= TIMESTAMP_INFINITY) return 'infinity';
  if (micros <= -TIMESTAMP_INFINITY) return '-infinity';
  const perDay = 86_400_000_000n;
  const days = floorDiv(micros, perDay);
  const inDay = micros - days * perDay;
  const s = inDay / 1_000_000n;
  const frac = inDay % 1_000_000n;
  const time = `${pad(s / 3600n, 2)}:${pad((s / 60n) % 60n, 2)}:${pad(s % 60n, 2)}`;
  return `${isoDate(days)}T${time}${frac === 0n ? '' : `.${pad(frac, 6)}`}Z`;
}
