/**
 * Every message of the SQL front end, written once. An entry says which rule was broken, why it
 * protects people or why the construct is refused, and what to write instead; the compiler files
 * name entries by id only (`sqlFail(src, span, 'join')`), never write a sentence of their own.
 *
 * SQL that is readable but outside the DP subset is also recognised here by its keywords before
 * parsing, so each construct gets its own message (and a caret on the keyword) even where the
 * parser could not read the rest. The AST walk (compile.ts) is the allowlist that catches the rest.
 */
import { LomasError } from '../errors';
import { SQL_LIMITS } from '../sqlRequest';
import type { Token } from './lexer';
import { sqlError, type Span, type SqlSource } from './source';

/** An SQL refusal in words: the construct, the rule it breaks, why, and what to write instead. */
export interface Refusal {
  what: string;
  rule: string;
  why: string;
  fix: string;
}

/** A message of the table: its code, the rule it names (`details.sqlRule`) and its facts. */
export interface SqlMessage {
  code: 'INVALID_SQL' | 'UNSUPPORTED_SQL' | 'UNSUPPORTED_EXPRESSION' | 'INVALID_PARAMETER';
  rule: string;
  facts: Record<string, string | undefined>;
}

const unsupported = (r: Refusal): SqlMessage => ({
  code: 'UNSUPPORTED_SQL',
  rule: r.rule,
  facts: { what: r.what, why: r.why, fix: r.fix }
});
const unreadable = (rule: string, problem: string, fix: string): SqlMessage => ({
  code: 'INVALID_SQL',
  rule,
  facts: { problem, fix }
});
const expression = (problem: string, fix?: string): SqlMessage => ({
  code: 'UNSUPPORTED_EXPRESSION',
  rule: 'expression',
  facts: { problem, fix }
});
const parameter = (rule: string, name: string, problem: string, fix?: string): SqlMessage => ({
  code: 'INVALID_PARAMETER',
  rule,
  facts: { parameter: name, rule: problem, fix }
});

// --- shared reasons ----------------------------------------------------------------------------

const JOIN_WHY =
  "a query reads one dataset, whose rows the privacy unit bounds; a join can repeat one person's rows without limit, and the noise would no longer hide them.";
const SET_OPERATION_WHY =
  'each SELECT is a release with its own cost; one statement must be one query plan.';
const SUBQUERY_WHY =
  'a query is one SELECT over the dataset; a subquery would be a second query whose result steers the first.';
const WINDOW_WHY =
  'a window function releases a value for each row, and a row belongs to one person.';
const DISTINCT_WHY =
  'a DP distinct count needs its own mechanism, which this server does not have.';
const ONE_DATASET = 'Write FROM df (or FROM <dataset>).';
const AGGREGATES = 'COUNT, SUM, AVG, VARIANCE, STDDEV, MEDIAN, QUANTILE(x, p)';
const GRAMMAR =
  'Lomas SQL reads: SELECT keys and aggregates FROM df [WHERE …] [GROUP BY …] [HAVING …] [ORDER BY …] [LIMIT n].';
const LIKE_FIX = "Use 'prefix%', '%suffix', '%text%' or a text without wildcards";
const IN_PARAMS = 'in a notebook: lomas.sql`… ${value} …`';

/** The table: one entry per message, parameters through the entry's function. */
export const SQL_MESSAGES = {
  // --- reading the text (lexer.ts, parser.ts, compile.ts): INVALID_SQL ---
  emptyText: () => unreadable('empty', 'the text is empty', 'Write a SELECT statement.'),
  tokenCount: () =>
    unreadable(
      'token-count',
      `the text has more than ${SQL_LIMITS.tokens} tokens`,
      'Write a shorter query.'
    ),
  textSize: (length: number) =>
    unreadable(
      'text-size',
      `the text has ${length} characters, above the limit of ${SQL_LIMITS.textLength}`,
      'Send one short query.'
    ),
  severalStatements: () =>
    unreadable(
      'one-statement',
      'the text holds more than one statement',
      'Send one SELECT per request, without a second statement after ";".'
    ),
  commentNesting: () =>
    unreadable(
      'comment-nesting',
      'a comment opens inside another comment',
      'SQL dialects disagree on nested comments, so the text could hide a statement; remove the inner "/*".'
    ),
  unterminatedComment: () =>
    unreadable('unterminated-comment', 'this comment is never closed', 'Close it with "*/".'),
  commentStatement: () =>
    unreadable(
      'comment-statement',
      'a comment holds a ";"',
      'Comments may not contain a statement separator, so that no second statement can hide in one; remove the ";".'
    ),
  invisibleCharacter: (codePoint: string) =>
    unreadable(
      'invisible-characters',
      `an invisible or control character (${codePoint}) is in the text`,
      'Such characters (zero-width, direction marks, controls) can make the text read differently from what is compiled; delete it.'
    ),
  unterminatedString: () =>
    unreadable('unterminated-string', 'this string is never closed', "Close it with '."),
  backslash: () =>
    unreadable(
      'backslash',
      'a string holds a backslash',
      "SQL dialects disagree on backslash escapes, so the string could end elsewhere than it seems; write a quote as '' and avoid backslashes."
    ),
  stringPrefix: (prefix: string) =>
    unreadable(
      'string-prefix',
      `a string literal has the prefix "${prefix}"`,
      "Write plain strings in single quotes: 'text' (no E'', N'', U&'' or X'' forms)."
    ),
  numberFormat: () =>
    unreadable(
      'number-format',
      'a number runs into letters',
      'Write decimal numbers such as 42, 0.5 or 1e-3, separated from names by a space or an operator.'
    ),
  dollarQuoting: () =>
    unreadable(
      'dollar-quoting',
      'a "$" that is not a parameter $1, $2, …',
      'Dollar-quoted strings are not supported; write strings in single quotes, parameters as $1, $2, ….'
    ),
  nesting: () =>
    unreadable(
      'nesting',
      `parentheses are nested deeper than ${SQL_LIMITS.parenDepth} levels`,
      'Simplify the expression.'
    ),
  quotedIdentifier: () =>
    unreadable(
      'quoted-identifier',
      'a quoted identifier',
      'Write column and dataset names without quotes (they are letters, digits and _); write text values in single quotes.'
    ),
  placeholderStyle: (ch: string) =>
    unreadable(
      'placeholder-style',
      `"${ch}" is not a parameter`,
      `Write parameters as $1, $2, … (${IN_PARAMS}).`
    ),
  nonAscii: (ch: string, codePoint: string) =>
    unreadable(
      'ascii-only',
      `the character "${ch}" (${codePoint}) is outside a string literal`,
      'Names and keywords are plain ASCII, so that look-alike letters cannot make the text read differently from what is compiled; only string literals may hold other characters.'
    ),
  strayCharacter: (ch: string) =>
    unreadable(
      'character',
      `the character "${ch}" has no meaning here`,
      'Lomas SQL uses + - * / %, comparisons (= <> != < <= > >=), AND, OR, NOT and parentheses.'
    ),
  unopenedParenthesis: () =>
    unreadable(
      'parentheses',
      'this parenthesis closes nothing',
      'Remove it, or open it where it belongs.'
    ),
  unclosedParenthesis: () =>
    unreadable('parentheses', 'this parenthesis is never closed', 'Close it with ")".'),
  parseTime: (ms: number) =>
    unreadable(
      'parse-time',
      `the parser could not read it within ${ms} ms (deeply nested parentheses or CASEs around a mistake make its work grow very fast)`,
      'Check that every parenthesis and CASE is closed, and nest less.'
    ),
  notSelect: () =>
    unreadable('syntax', 'the text is not a SELECT statement Lomas can read', GRAMMAR),
  unexpected: (what: string | undefined) =>
    unreadable(
      'syntax',
      `${what === undefined ? 'the end of the text' : `"${what}"`} was not expected here`,
      GRAMMAR
    ),

  // --- constructs outside the DP subset: UNSUPPORTED_SQL ---
  join: () =>
    unsupported({
      what: 'A join',
      rule: 'no-joins',
      why: JOIN_WHY,
      fix: 'Query one dataset (FROM df); combine released tables in the notebook.'
    }),
  joinInFrom: () =>
    unsupported({
      what: 'A join (several tables in FROM)',
      rule: 'no-joins',
      why: JOIN_WHY,
      fix: 'Query one dataset (FROM df); combine released tables in the notebook.'
    }),
  setOperation: () =>
    unsupported({
      what: 'A set operation (UNION, INTERSECT, EXCEPT)',
      rule: 'no-set-operations',
      why: SET_OPERATION_WHY,
      fix: 'Send each SELECT as its own query and combine the released tables in the notebook.'
    }),
  notSelectStatement: () =>
    unsupported({
      what: 'A statement other than SELECT',
      rule: 'select-only',
      why: 'Lomas SQL only reads: it is compiled into a DP query plan, never executed.',
      fix: 'Write SELECT aggregates FROM df [WHERE …] [GROUP BY …].'
    }),
  cte: () =>
    unsupported({
      what: 'A common table expression (WITH)',
      rule: 'no-cte',
      why: 'a query reads the dataset itself in one SELECT; a WITH query is a second query inside the first.',
      fix: 'Put the condition in WHERE and the computed column in the SELECT or GROUP BY expressions.'
    }),
  windowFunction: () =>
    unsupported({
      what: 'A window function (OVER)',
      rule: 'no-window-functions',
      why: WINDOW_WHY,
      fix: 'Use aggregates with GROUP BY: SELECT key, COUNT(*) FROM df GROUP BY key.'
    }),
  windowDefinition: () =>
    unsupported({
      what: 'A window definition (WINDOW)',
      rule: 'no-window-functions',
      why: WINDOW_WHY,
      fix: 'Use aggregates with GROUP BY: SELECT key, COUNT(*) FROM df GROUP BY key.'
    }),
  distinct: () =>
    unsupported({
      what: 'DISTINCT',
      rule: 'no-distinct',
      why: `SELECT DISTINCT lists values that occur in the data, which can single out one person; ${DISTINCT_WHY}`,
      fix: 'Count rows per value with SELECT col, COUNT(*) FROM df GROUP BY col (its keys are public or discovered with δ).'
    }),
  distinctAggregate: () =>
    unsupported({
      what: 'DISTINCT in an aggregate',
      rule: 'no-distinct',
      why: DISTINCT_WHY,
      fix: 'Count rows per value with GROUP BY col and COUNT(*).'
    }),
  aggregateFilter: () =>
    unsupported({
      what: 'An aggregate FILTER clause',
      rule: 'no-aggregate-filter',
      why: 'every aggregation of one query reads the same rows.',
      fix: 'Move the condition to WHERE, or aggregate a CASE: SUM(CASE WHEN cond THEN x ELSE 0 END).'
    }),
  exists: () =>
    unsupported({
      what: 'A subquery (EXISTS)',
      rule: 'no-subqueries',
      why: SUBQUERY_WHY,
      fix: 'Write the condition on the columns of the row in WHERE.'
    }),
  subquery: () =>
    unsupported({
      what: 'A subquery',
      rule: 'no-subqueries',
      why: SUBQUERY_WHY,
      fix: 'Write the condition on the columns of the row in WHERE, and aggregate in the outer SELECT only.'
    }),
  inSubquery: () =>
    unsupported({
      what: 'IN with a subquery',
      rule: 'no-subqueries',
      why: SUBQUERY_WHY,
      fix: "List the values: x IN ('a', 'b'), or bind a list: x IN ($1)."
    }),
  offset: () =>
    unsupported({
      what: 'OFFSET',
      rule: 'no-offset',
      why: 'ORDER BY and LIMIT are the supported post-processing.',
      fix: 'Use ORDER BY … LIMIT n, or filter the released table in the notebook.'
    }),
  unsupportedClause: (clause: string) =>
    unsupported({
      what: `The clause "${clause}"`,
      rule: 'unsupported-clause',
      why: 'Lomas SQL accepts SELECT, FROM, WHERE, GROUP BY, HAVING, ORDER BY and LIMIT only.',
      fix: 'Remove it.'
    }),
  noFrom: () =>
    unsupported({
      what: 'A SELECT without FROM',
      rule: 'from-dataset',
      why: 'a query reads one dataset.',
      fix: ONE_DATASET
    }),
  fromForm: () =>
    unsupported({
      what: 'This FROM clause',
      rule: 'from-dataset',
      why: 'a query reads one dataset, named plainly.',
      fix: ONE_DATASET
    }),
  qualifiedTable: () =>
    unsupported({
      what: 'A qualified table name',
      rule: 'from-dataset',
      why: 'datasets have plain names.',
      fix: 'Write FROM df, or FROM <dataset> without a schema.'
    }),
  otherTable: (table: string, qualifier: string) =>
    unsupported({
      what: `The table "${table}"`,
      rule: 'from-dataset',
      why: 'a query reads one dataset.',
      fix: `Qualify columns with ${qualifier}, or not at all.`
    }),
  aggregateInRowClause: (clause: 'WHERE' | 'GROUP BY' | string) =>
    unsupported({
      what: `An aggregate in ${clause}`,
      rule: 'aggregate-placement',
      why:
        clause === 'GROUP BY'
          ? 'groups are formed from row values.'
          : `${clause} works on rows, before anything is aggregated.`,
      fix:
        clause === 'WHERE'
          ? 'Filter released values with HAVING.'
          : clause === 'GROUP BY'
            ? 'Group by columns or row expressions.'
            : 'Aggregate in the SELECT list.'
    }),
  selectStar: () =>
    unsupported({
      what: 'SELECT *',
      rule: 'select-star',
      why: 'a query releases aggregates, never rows or every column.',
      fix: 'Name the group keys and aggregates: SELECT species, COUNT(*) FROM df GROUP BY species.'
    }),
  alias: () =>
    unsupported({
      what: 'This alias',
      rule: 'alias',
      why: 'an alias is a plain name.',
      fix: 'Write AS name.'
    }),
  nestedAggregate: () =>
    unsupported({
      what: 'An aggregate inside an aggregate',
      rule: 'nested-aggregate',
      why: 'each aggregate reads rows.',
      fix: 'Aggregate a column or a row expression.'
    }),
  aggregateExpression: () =>
    unsupported({
      what: 'An expression over aggregates',
      rule: 'aggregate-expression',
      why: 'each released aggregate carries its own noise and interval; arithmetic on them belongs to post-processing.',
      fix: 'Select each aggregate with an alias (SUM(x) AS s, COUNT(*) AS n) and compute with the released table.'
    }),
  groupByPosition: (written: string, items: number) =>
    unsupported({
      what: `GROUP BY ${written}`,
      rule: 'group-by',
      why: 'a position names a SELECT item that is not an aggregate.',
      fix: `Use a position from 1 to ${items} of a key, or name the column.`
    }),
  bareColumn: (text: string, grouped: boolean) =>
    unsupported({
      what: `"${text || 'This item'}" in SELECT`,
      rule: 'bare-column',
      why: 'a query releases aggregates and their group keys only; a column that is neither would list values of single rows.',
      fix: grouped
        ? 'Add it to GROUP BY, or aggregate it (COUNT, SUM, AVG, …).'
        : 'Group by it (GROUP BY …), or aggregate it (COUNT, SUM, AVG, …).'
    }),
  needsAggregate: () =>
    unsupported({
      what: 'A SELECT without an aggregate',
      rule: 'needs-aggregate',
      why: 'a query releases aggregates: listing values of rows would reveal people.',
      fix: 'Add an aggregate: SELECT species, COUNT(*) FROM df GROUP BY species.'
    }),
  postColumn: (name: string, clause: string, outputs: readonly string[]) =>
    unsupported({
      what: `"${name}" in ${clause}`,
      rule: 'post-processing',
      why: `${clause} works on the released table, whose columns are ${outputs.join(', ')}.`,
      fix: 'Refer to a group key, an aggregate of the SELECT list or its alias.'
    }),
  postAggregate: (clause: string, text: string) =>
    unsupported({
      what: `An aggregate in ${clause} that the SELECT list does not release`,
      rule: 'post-processing',
      why: `${clause} is free post-processing of released values; a new aggregate would be a new release with its own cost.`,
      fix: `Add it to the SELECT list with an alias (e.g. ${text || 'COUNT(*)'} AS n) and refer to it.`
    }),
  orderByItem: () =>
    unsupported({
      what: 'This ORDER BY item',
      rule: 'post-processing',
      why: 'the released table is sorted by its columns.',
      fix: 'Order by a position of the SELECT list, a key, an aggregate of the SELECT list or an alias.'
    }),
  minMax: (name: string) =>
    unsupported({
      what: `${name}()`,
      rule: 'unsupported-aggregate',
      why: "the minimum or maximum of private values is one person's value, and no amount of noise on it is both private and useful.",
      fix: 'Ask for a quantile near the end: PERCENTILE_CONT(0.05) WITHIN GROUP (ORDER BY x), or QUANTILE(x, 0.95).'
    }),
  unknownAggregate: (name: string) =>
    unsupported({
      what: `The aggregate ${name}()`,
      rule: 'unsupported-aggregate',
      why: 'it has no differentially private mechanism on this server.',
      fix: `Use ${AGGREGATES} or PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x).`
    }),
  aggregateForm: (form: string) =>
    unsupported({
      what: 'This aggregate call',
      rule: 'aggregate-form',
      why: 'its arguments do not have the supported form.',
      fix: `Write ${form}.`
    }),
  unknownFunction: (name: string, known: readonly string[]) =>
    unsupported({
      what: `The function ${name || '(unnamed)'}`,
      rule: 'function-whitelist',
      why: 'only whitelisted functions, whose result ranges the server can bound, may be used.',
      fix: `Use one of ${known.join(', ')}.`
    }),

  // --- expressions (expr.ts): UNSUPPORTED_EXPRESSION ---
  notExpression: () => expression('this part of the query is not an expression'),
  starOutsideCount: () => expression('* is only allowed in COUNT(*)', 'Name the columns.'),
  cast: () =>
    expression(
      'type casts (CAST, ::) are not supported',
      "Compare values of the column's own type; arithmetic turns integers into numbers where needed."
    ),
  extract: () =>
    expression(
      'EXTRACT is not supported',
      'Write YEAR(d), MONTH(d), DAY(d), HOUR(d) or DAYOFWEEK(d).'
    ),
  interval: () =>
    expression('intervals are not supported', "Compare dates with ISO strings: d >= '2020-01-01'."),
  construct: (type: unknown) =>
    expression(`${String(type ?? 'this construct').replace(/_/g, ' ')} is not supported here`),
  ambiguousString: () =>
    expression(
      'this string literal could not be read unambiguously',
      "Write strings in single quotes, a quote as ''."
    ),
  numberRange: (text: string) => expression(`the number ${text} is out of range`),
  unsafeInteger: (text: string) =>
    expression(
      `the integer ${text} is beyond ±(2^53 − 1) and would lose precision`,
      'Use a smaller integer.'
    ),
  parameterForm: () => expression('parameters are written $1, $2, …'),
  listParameter: (index: number) =>
    expression(`$${index} is a list`, 'A list parameter can only be the whole list of IN ($n).'),
  listParameterPart: () =>
    expression('a list parameter must be the whole list', 'Write x IN ($1) with a list value.'),
  operator: (op: string) => expression(`the operator ${op} is not supported`),
  ilike: () => expression('ILIKE is not supported', "Compare in one case: LOWER(name) LIKE 'ab%'."),
  concatenation: () =>
    expression('string concatenation (||) is not supported', 'Compare the parts separately.'),
  isNotNull: () =>
    expression(
      'IS only tests for NULL here',
      'Write x IS NULL or x IS NOT NULL; compare booleans with = TRUE.'
    ),
  likePattern: () => expression('LIKE needs a pattern in quotes', LIKE_FIX),
  likeWildcards: (pattern: string) =>
    expression(
      `the pattern '${pattern}' is not supported`,
      `${LIKE_FIX}; _ and inner % are not supported.`
    ),
  windowExpression: () => expression('window functions are not supported'),
  log: () =>
    expression(
      'LOG is ambiguous (base 10 in PostgreSQL, natural elsewhere)',
      'Write LN(x) for the natural logarithm.'
    ),
  arity: (name: string, min: number, max: number, given: number) =>
    expression(`${name} takes ${min === max ? min : `${min} to ${max}`} argument(s), not ${given}`),
  caseWithoutWhen: () => expression('CASE needs a WHEN branch'),
  quantileLiteral: () =>
    expression(
      'the quantile must be a number between 0 and 1',
      'Write PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY x) or QUANTILE(x, 0.9).'
    ),

  // --- the request around the SQL (compile.ts, expr.ts): INVALID_PARAMETER ---
  missingParameter: (index: number, given: number) =>
    parameter(
      'parameter',
      `$${index}`,
      `the request has ${given} parameter(s)`,
      `Give a value for each $n in params (${IN_PARAMS}).`
    ),
  datasetMismatch: (table: string, requested: string) =>
    parameter(
      'from-dataset',
      'dataset',
      `the SQL reads "${table}" but the request names "${requested}"`,
      `Write FROM df or FROM ${requested}.`
    ),
  datasetMissing: () =>
    parameter(
      'from-dataset',
      'dataset',
      'FROM df needs the dataset named in the request',
      'Send { dataset: "penguins", sql: … }, use dataset.sql(…) in a notebook, or write FROM <dataset>.'
    ),
  limit: () =>
    parameter(
      'limit',
      'LIMIT',
      `an integer from 0 to ${SQL_LIMITS.limit}`,
      `Write LIMIT n with a whole number n from 0 to ${SQL_LIMITS.limit}.`
    ),
  budgetMissing: (aggregations: number) =>
    parameter(
      'budget',
      'options.epsilon',
      'an SQL query needs a privacy budget',
      `Give it in the options: { epsilon: 1 } (split equally across the ${aggregations} aggregation(s)); in a notebook: lomas.sql({ epsilon: 1 })\`SELECT …\`.`
    ),
  boundsName: (name: string) =>
    parameter(
      'bounds',
      `options.bounds.${name}`,
      `no aggregate of the query is named "${name}" or aggregates the column "${name}" as it is`,
      "Key bounds by the aggregated column (SUM(body_mass_g) → body_mass_g) or by the aggregate's alias (SUM(body_mass_g / 1000) AS kg → kg)."
    ),
  keysWithoutGroupBy: (option: 'keys' | 'discover') =>
    parameter(
      'keys',
      `options.${option}`,
      'the query has no GROUP BY',
      'Remove the option, or group the query.'
    ),
  keysName: (key: string, keys: readonly string[]) =>
    parameter(
      'keys',
      `options.keys.${key}`,
      `"${key}" is not a GROUP BY key (keys: ${keys.join(', ')})`,
      'Key the values by the name of the group key.'
    )
} as const satisfies Record<string, (...args: never[]) => SqlMessage>;

export type SqlMessageId = keyof typeof SQL_MESSAGES;
/** The parameters of message `id`. */
export type SqlMessageArgs<K extends SqlMessageId> = Parameters<(typeof SQL_MESSAGES)[K]>;
type Args<K extends SqlMessageId> = SqlMessageArgs<K>;

/** The message `id` with its parameters. */
export function sqlMessage<K extends SqlMessageId>(id: K, ...args: Args<K>): SqlMessage {
  return (SQL_MESSAGES[id] as (...a: Args<K>) => SqlMessage)(...args);
}

/** Raises the message `id` placed at a span of the SQL (details.sql, caret, details.sqlRule). */
export function sqlFail<K extends SqlMessageId>(
  src: SqlSource,
  span: Span | undefined,
  id: K,
  ...args: Args<K>
): never {
  const m = sqlMessage(id, ...args);
  throw sqlError(src, span, m.code, m.facts, m.rule);
}

/** The message `id` about the request's options, which have no place in the SQL text. */
export function optionError<K extends SqlMessageId>(id: K, ...args: Args<K>): LomasError {
  const m = sqlMessage(id, ...args);
  return new LomasError(m.code, m.facts);
}

/**
 * The SQL words for plan rules whose own fix names builder options (locate.ts replaces the fix):
 * the same rule, said in terms of the SQL query's options.
 */
export const SQL_PLAN_FIXES = {
  bounds: (name: string) =>
    `Give its bounds in the query options: { bounds: { ${name}: [lower, upper] } } (values outside are clamped).`,
  aliasTwice: () => 'Give each aggregate its own alias: COUNT(*) AS n, AVG(x) AS mean_x.',
  builderOnly: () => 'See the Lomas SQL subset in the documentation of lomas-kernel/sql.',
  groupKeys: (key: string | undefined) =>
    `List the keys in the query options: { keys: { ${key}: [...] } }, or discover them privately: { discover: { delta: 1e-6 } }.`
} as const;

// --- refusal by keyword, before parsing -----------------------------------------------------------

/** The messages without parameters. */
type PlainId = { [K in SqlMessageId]: SqlMessageArgs<K> extends [] ? K : never }[SqlMessageId];

/** Keywords that start a construct outside the subset, and the message each gets. */
const KEYWORD_IDS: Readonly<Record<string, PlainId>> = {
  JOIN: 'join',
  NATURAL: 'join',
  CROSS: 'join',
  LATERAL: 'join',
  USING: 'join',
  UNION: 'setOperation',
  INTERSECT: 'setOperation',
  EXCEPT: 'setOperation',
  WITH: 'cte',
  OVER: 'windowFunction',
  WINDOW: 'windowDefinition',
  DISTINCT: 'distinct',
  FILTER: 'aggregateFilter',
  EXISTS: 'exists',
  OFFSET: 'offset',
  INTO: 'notSelectStatement'
};

function asRefusal(id: PlainId): Refusal {
  const m = sqlMessage(id);
  const f = m.facts;
  return { what: f.what ?? '', rule: m.rule, why: f.why ?? '', fix: f.fix ?? '' };
}

/** The refusal of each keyword, in words (for documentation and the notebook). */
export const KEYWORD_REFUSALS: Readonly<Record<string, Refusal>> = Object.fromEntries(
  Object.entries(KEYWORD_IDS).map(([k, id]) => [k, asRefusal(id)])
);

/** Keywords that are refused only where they play that role (they may also name a column). */
const AFTER_CALL = new Set(['OVER', 'FILTER']);
const BEFORE_PAREN = new Set(['EXISTS']);

/** Refuses the first construct outside the subset, by keyword, with a caret on it. */
export function refuseKeywords(src: SqlSource, tokens: readonly Token[]): void {
  tokens.forEach((tk, i) => {
    if (tk.kind !== 'ident') return;
    let id: PlainId | undefined = KEYWORD_IDS[tk.upper];
    if (id && AFTER_CALL.has(tk.upper) && tokens[i - 1]?.text !== ')') id = undefined;
    if (id && BEFORE_PAREN.has(tk.upper) && tokens[i + 1]?.text !== '(') id = undefined;
    if (!id && tk.upper === 'SELECT' && i > 0)
      id = tokens[i - 1].text === '(' ? 'subquery' : 'setOperation';
    if (i === 0 && tk.upper !== 'SELECT' && !id) id = 'notSelectStatement';
    if (id) sqlFail(src, tk, id);
  });
}
