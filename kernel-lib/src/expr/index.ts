/** Expressions are data: row functions parsed into the plan's whitelisted Expr tree. */
export { toExpr, parseRowFunction } from './parse';
export type { ExprInput, Params, ParamValue, Row, RowFunction } from './parse';
export { op } from './op';
export type { Op } from './op';
