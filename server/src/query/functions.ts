/**
 * The SQL templates of the whitelisted functions live with their dialect (query/dialect.ts);
 * DuckDB's are re-exported here under their former name.
 */
import { DUCKDB, type FunctionSql } from './dialect';

export type { FunctionSql };
export const FUNCTION_SQL = DUCKDB.functions;
