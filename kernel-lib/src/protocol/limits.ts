/**
 * Every public limit of a query and of the analyst API, in one table. The plan schema, the plan
 * checker (run by the notebook builder and by the server), the expression parser, the DP planner
 * and the HTTP schemas all read them from here, so a limit cannot differ between two sides.
 */
export const PLAN_LIMITS = {
  /** Depth of one expression tree (a column or literal has depth 1). */
  exprDepth: 32,
  /** Nodes in one expression tree. */
  exprNodes: 500,
  /** Characters in a string literal, category or key value. */
  stringLength: 1000,
  /** filter, select and derive steps of one plan. */
  steps: 32,
  /** Columns in one derive step, and columns in one select step. */
  columnsPerStep: 64,
  groupKeys: 8,
  /** Explicit values listed for one group key. */
  valuesPerKey: 1000,
  /**
   * Groups released by one query: the product of the public key sets (explicit values, metadata
   * categories, or a bounded int column's range), and the number of groups private key discovery
   * draws noise for whatever the data hold.
   */
  groups: 10000,
  /**
   * Private key discovery: at most this many distinct keys may occur in the data. The engine
   * reads at most one more; a query whose data hold more fails after its charge (QUERY_FAILED),
   * and the DP engine does the work of this many keys whatever the data hold.
   */
  discoveredGroups: 10000,
  aggregations: 20,
  /** Bins of one histogram (its `bins` list has one edge more). */
  histogramBins: 1000,
  /** Categories declared by one derived column. */
  categories: 1000,
  /** Public candidates a quantile selects from: the default, and the most a quantile may use. */
  defaultQuantileCandidates: 256,
  quantileCandidates: 1024
} as const;

/** Limits of an SQL request (its compiled plan then meets every PLAN_LIMITS too). */
export const SQL_LIMITS = {
  /** Characters of SQL text. */
  textLength: 10000,
  /** Bound parameters ($1 … $n). */
  params: 100,
  /** Values of one list parameter (used as `IN ($1)`). */
  valuesPerParam: PLAN_LIMITS.valuesPerKey,
  /** Tokens of SQL text (keeps the parser's work small whatever the text). */
  tokens: 1000,
  /** Nesting of parentheses. */
  parenDepth: PLAN_LIMITS.exprDepth,
  /** Largest LIMIT. */
  limit: 1000000
} as const;

/** Limits of the API's other requests. */
export const REQUEST_LIMITS = {
  /** Rows of one dummy-data request (GET /v1/datasets/{name}/dummy?rows=). */
  dummyRows: 100000,
  /** Entries of one history request (GET /v1/queries?limit=). */
  historyEntries: 1000,
  /** Entries of one ledger page (GET /admin/ledger?limit=). */
  ledgerEntries: 10000,
  /** Records of one archive page (GET /admin/archive?limit=). */
  archiveRecords: 1000
} as const;

/** Limits of a dataset's public metadata. */
export const METADATA_LIMITS = {
  /** Rows one person may contribute (max_ids). */
  maxIds: 10000,
  /** Public categories of one column, and characters in one. */
  categories: 10000,
  categoryLength: 200,
  /** Characters in a column's description. */
  description: 500
} as const;

/** Defaults of the analyst API's optional parameters. */
export const REQUEST_DEFAULTS = {
  dummyRows: 100,
  dummySeed: 0,
  historyEntries: 100,
  ledgerEntries: 1000,
  archiveRecords: 100
} as const;
