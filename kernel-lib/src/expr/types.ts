import type { Expr, Scalar } from '../protocol/plan';

/** A row as seen by a row function: any column name reads a value. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Row = any;
/** Values that may be passed as params and inlined as literals. */
export type ParamValue = Scalar | Date | undefined | ReadonlyArray<Scalar | Date>;
export type Params = Readonly<Record<string, ParamValue>>;
/** A row function: `d => ...` or `(d, $) => ...` with `$` the params object. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RowFunction = (d: Row, $: any) => unknown;
/** What query verbs accept as an expression: a row function, its source text, or an Expr tree. */
export type ExprInput = RowFunction | string | Expr;
