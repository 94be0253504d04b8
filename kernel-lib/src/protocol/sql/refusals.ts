/**
 * SQL that is readable but outside the DP subset, recognised by its keywords before parsing, so
 * each gets its own message (and a caret on the keyword) even where the parser could not read the
 * rest. One entry per construct; the AST walk (compile.ts) is the allowlist that catches the rest.
 */
import type { Token } from './lexer';
import { sqlError, type SqlSource } from './source';

export interface Refusal {
  what: string;
  rule: string;
  why: string;
  fix: string;
}

const JOIN: Refusal = {
  what: 'A join',
  rule: 'no-joins',
  why: "a query reads one dataset, whose rows the privacy unit bounds; a join can repeat one person's rows without limit, and the noise would no longer hide them.",
  fix: 'Query one dataset (FROM df); combine released tables in the notebook.'
};
const SET_OPERATION: Refusal = {
  what: 'A set operation (UNION, INTERSECT, EXCEPT)',
  rule: 'no-set-operations',
  why: 'each SELECT is a release with its own cost; one statement must be one query plan.',
  fix: 'Send each SELECT as its own query and combine the released tables in the notebook.'
};
const STATEMENT: Refusal = {
  what: 'A statement other than SELECT',
  rule: 'select-only',
  why: 'Lomas SQL only reads: it is compiled into a DP query plan, never executed.',
  fix: 'Write SELECT aggregates FROM df [WHERE …] [GROUP BY …].'
};

/** Keywords that start a construct outside the subset. */
export const KEYWORD_REFUSALS: Readonly<Record<string, Refusal>> = {
  JOIN,
  NATURAL: JOIN,
  CROSS: JOIN,
  LATERAL: JOIN,
  USING: JOIN,
  UNION: SET_OPERATION,
  INTERSECT: SET_OPERATION,
  EXCEPT: SET_OPERATION,
  WITH: {
    what: 'A common table expression (WITH)',
    rule: 'no-cte',
    why: 'a query reads the dataset itself in one SELECT; a WITH query is a second query inside the first.',
    fix: 'Put the condition in WHERE and the computed column in the SELECT or GROUP BY expressions.'
  },
  OVER: {
    what: 'A window function (OVER)',
    rule: 'no-window-functions',
    why: 'a window function releases a value for each row, and a row belongs to one person.',
    fix: 'Use aggregates with GROUP BY: SELECT key, COUNT(*) FROM df GROUP BY key.'
  },
  WINDOW: {
    what: 'A window definition (WINDOW)',
    rule: 'no-window-functions',
    why: 'a window function releases a value for each row, and a row belongs to one person.',
    fix: 'Use aggregates with GROUP BY.'
  },
  DISTINCT: {
    what: 'DISTINCT',
    rule: 'no-distinct',
    why: 'SELECT DISTINCT lists values that occur in the data, which can single out one person; a DP distinct count needs its own mechanism, which this server does not have.',
    fix: 'Count rows per value with SELECT col, COUNT(*) FROM df GROUP BY col (its keys are public or discovered with δ).'
  },
  FILTER: {
    what: 'An aggregate FILTER clause',
    rule: 'no-aggregate-filter',
    why: 'every aggregation of one query reads the same rows.',
    fix: 'Move the condition to WHERE, or aggregate a CASE: SUM(CASE WHEN cond THEN x ELSE 0 END).'
  },
  EXISTS: {
    what: 'A subquery (EXISTS)',
    rule: 'no-subqueries',
    why: 'a query is one SELECT over the dataset; a subquery would be a second query whose result steers the first.',
    fix: 'Write the condition on the columns of the row in WHERE.'
  },
  OFFSET: {
    what: 'OFFSET',
    rule: 'no-offset',
    why: 'ORDER BY and LIMIT are the supported post-processing.',
    fix: 'Use ORDER BY … LIMIT n, or filter the released table in the notebook.'
  },
  INTO: STATEMENT
};

/** Keywords that are refused only where they play that role (they may also name a column). */
const AFTER_CALL = new Set(['OVER', 'FILTER']);
const BEFORE_PAREN = new Set(['EXISTS']);

export const SUBQUERY: Refusal = {
  what: 'A subquery',
  rule: 'no-subqueries',
  why: 'a query is one SELECT over the dataset; a subquery would be a second query whose result steers the first.',
  fix: 'Write the condition on the columns of the row in WHERE, and aggregate in the outer SELECT only.'
};

/** Refuses the first construct outside the subset, by keyword, with a caret on it. */
export function refuseKeywords(src: SqlSource, tokens: readonly Token[]): void {
  tokens.forEach((tk, i) => {
    if (tk.kind !== 'ident') return;
    let r: Refusal | undefined = KEYWORD_REFUSALS[tk.upper];
    if (r && AFTER_CALL.has(tk.upper) && tokens[i - 1]?.text !== ')') r = undefined;
    if (r && BEFORE_PAREN.has(tk.upper) && tokens[i + 1]?.text !== '(') r = undefined;
    if (!r && tk.upper === 'SELECT' && i > 0)
      r = tokens[i - 1].text === '(' ? SUBQUERY : SET_OPERATION;
    if (i === 0 && tk.upper !== 'SELECT' && !r) r = STATEMENT;
    if (r)
      throw sqlError(src, tk, 'UNSUPPORTED_SQL', { what: r.what, why: r.why, fix: r.fix }, r.rule);
  });
}

/** Raises a refusal at a span. */
export function refuse(
  src: SqlSource,
  span: { start: number; end: number } | undefined,
  r: Refusal
): never {
  throw sqlError(src, span, 'UNSUPPORTED_SQL', { what: r.what, why: r.why, fix: r.fix }, r.rule);
}
