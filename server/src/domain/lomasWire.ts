/**
 * The Python Lomas client's wire forms (lomas-client / lomas-core 0.5.1): CSVW-EO table metadata,
 * pandas DataFrames in the "tight" orientation, budgets as floats, and the four typed error
 * bodies, made from this server's own types. Pure conversions; their shapes are the schemas of
 * lomasSchemas.ts. The routes in routes/lomas.ts and the service in domain/lomas.ts use them.
 */
import {
  LomasError,
  type Budget,
  type ColumnMetadata,
  type DatasetMetadata,
  type ErrorCode
} from 'lomas-kernel/protocol';
import type {
  Cell,
  CsvwColumn,
  CsvwTable,
  LomasCost,
  LomasExceptionBody,
  PandasDtype,
  TightFrame
} from './lomasSchemas';

// ---------------------------------------------------------------------------------------------
// Metadata: this server's SmartNoise-style metadata → csvw_eo.TableMetadata (pydantic field names,
// which the client validates with TableMetadata.model_validate and then turns into CSVW JSON).
// ---------------------------------------------------------------------------------------------

const CSVW_TYPES: Record<ColumnMetadata['type'], CsvwColumn['datatype']> = {
  int: 'integer',
  float: 'double',
  string: 'string',
  boolean: 'boolean',
  datetime: 'dateTime'
};

function csvwColumn(name: string, c: ColumnMetadata, privacyId: string | undefined): CsvwColumn {
  const out: CsvwColumn = { name, datatype: CSVW_TYPES[c.type], required: !c.nullable };
  if (name === privacyId) out.privacy_id = true;
  if (c.type === 'int' || c.type === 'float' || c.type === 'datetime') {
    if (c.lower !== undefined) out.minimum = c.lower;
    if (c.upper !== undefined) out.maximum = c.upper;
  }
  if (c.type === 'string' && c.categories && c.categories.length > 0) {
    // Values outside the categories load as NULL here, so the list is the column's whole domain.
    out.public_keys_values = c.categories.map(v => ({ predicate: { partition_value: v } }));
    out.exhaustive_keys = true;
    out.max_num_partitions = c.categories.length;
  }
  return out;
}

/**
 * CSVW-EO metadata of a dataset. `max_ids` (rows per person) is `max_contributions`; the public
 * row count, when the metadata has one, is `public_length`.
 */
export function csvwMetadata(m: DatasetMetadata): CsvwTable {
  return {
    context: ['http://www.w3.org/ns/csvw'],
    table_type: 'Table',
    privacy_unit: m.privacy_id ?? null,
    max_contributions: m.max_ids,
    max_length: null,
    public_length: m.rows ?? null,
    columns: Object.entries(m.columns).map(([name, c]) => csvwColumn(name, c, m.privacy_id))
  };
}

// ---------------------------------------------------------------------------------------------
// DataFrames: pandas `DataFrame.from_dict(d, orient="tight")`.
// ---------------------------------------------------------------------------------------------

/** Rows (objects keyed by column) as a tight DataFrame with a 0..n-1 index, in `columns` order. */
export function tightFrame(columns: string[], rows: Array<Record<string, Cell>>): TightFrame {
  return {
    index: rows.map((_, i) => i),
    columns: [...columns],
    data: rows.map(r => columns.map(c => (r[c] === undefined ? null : r[c]))),
    index_names: [null],
    column_names: [null]
  };
}

/**
 * pandas dtypes of the dummy DataFrame (the client calls `astype` with them). Nullable integer
 * and boolean dtypes, so a NULL stays missing instead of failing the cast.
 */
export function dummyDtypes(m: DatasetMetadata): Record<string, PandasDtype> {
  const of: Record<ColumnMetadata['type'], PandasDtype> = {
    int: 'Int64',
    float: 'float64',
    string: 'string',
    boolean: 'boolean',
    datetime: 'datetime64[ns, UTC]'
  };
  return Object.fromEntries(Object.entries(m.columns).map(([n, c]) => [n, of[c.type]]));
}

// ---------------------------------------------------------------------------------------------
// Amounts: the client's models are floats.
// ---------------------------------------------------------------------------------------------

/**
 * An exact decimal amount as the float the client reads. Under zCDP accounting ε and δ are the
 * (ε, δ) that the dataset's conversion δ gives for ρ, as this server's own budgets show them.
 * Amounts may have up to 1,100 digits: one beyond the largest float is that float (JSON has no
 * Infinity, and JSON.stringify would send null).
 */
export function asFloat(x: string | undefined): number {
  if (x === undefined) return 0;
  const f = Number(x);
  return Number.isFinite(f) ? f : Number.MAX_VALUE;
}

export function costFloats(b: Budget): LomasCost {
  return { epsilon: asFloat(b.epsilon), delta: asFloat(b.delta) };
}

// ---------------------------------------------------------------------------------------------
// Errors: LomasError → the client's exception models (lomas_core.models.exceptions).
// ---------------------------------------------------------------------------------------------

/** Who may not do it: the client's UnauthorizedAccessException. */
const ACCESS = new Set<ErrorCode>([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'DATASET_NOT_FOUND',
  'NO_GRANT'
]);

/** What the SQL front end and the plan checks refuse: where Lomas reports SmartNoise's refusals. */
const QUERY_LIBRARY = new Set<ErrorCode>([
  'INVALID_SQL',
  'UNSUPPORTED_SQL',
  'UNKNOWN_COLUMN',
  'TYPE_MISMATCH',
  'UNSUPPORTED_EXPRESSION',
  'INVALID_PLAN',
  'PRIVACY_RULE'
]);

/** After the charge, or the server's own failure: the client's InternalServerException. */
const INTERNAL = new Set<ErrorCode>(['QUERY_FAILED', 'INTERNAL', 'UNAVAILABLE']);

/**
 * The status and body the client understands for one of this server's errors. Statuses follow
 * Lomas (403 for access, 400 invalid query, 422 library, 500 internal), except 401 (no valid
 * credential) and the transport statuses (404 route, 409, 413, 415, 429, 503), which keep their
 * own status with the InvalidQueryException or InternalServerException body. The message is this
 * server's, with its advice; `code` and `details` ride along for people and logs.
 */
export function lomasException(err: LomasError): { status: number; body: LomasExceptionBody } {
  const base = {
    message: err.message,
    code: err.code,
    ...(Object.keys(err.details).length > 0 ? { details: err.details } : {})
  };
  if (ACCESS.has(err.code))
    return {
      status: err.code === 'UNAUTHENTICATED' ? 401 : 403,
      body: { type: 'UnauthorizedAccessException', ...base }
    };
  if (QUERY_LIBRARY.has(err.code))
    return {
      status: 422,
      body: { type: 'ExternalLibraryException', library: 'smartnoise_sql', ...base }
    };
  if (INTERNAL.has(err.code))
    return {
      status: err.code === 'UNAVAILABLE' ? 503 : 500,
      body: { type: 'InternalServerException', ...base }
    };
  const status = err.status >= 400 && err.status < 500 && err.status !== 403 ? err.status : 400;
  return { status, body: { type: 'InvalidQueryException', ...base } };
}
