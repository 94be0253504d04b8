import { z } from 'zod';

/**
 * The closed set of error codes shared by the server, the notebook library and the extension,
 * with every message in one place. Each message says what went wrong and how to fix it; privacy
 * rules also say why the rule protects people.
 */

export const ERROR_CODES = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  DATASET_NOT_FOUND: 404,
  NO_GRANT: 403,
  INVALID_REQUEST: 400,
  INVALID_PARAMETER: 400,
  INVALID_PLAN: 400,
  UNSUPPORTED_EXPRESSION: 400,
  /** SQL text that cannot be read: syntax, characters, quoting, comments, several statements, size. */
  INVALID_SQL: 400,
  /** Readable SQL outside the DP subset (joins, subqueries, window functions, ...). */
  UNSUPPORTED_SQL: 400,
  UNKNOWN_COLUMN: 400,
  TYPE_MISMATCH: 400,
  PRIVACY_RULE: 400,
  BUDGET_EXHAUSTED: 403,
  DATASET_CAP_EXHAUSTED: 403,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  /** Any failure after a query's charge: one code and one message, whatever the cause. */
  QUERY_FAILED: 500,
  INTERNAL: 500
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

const CODES = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** The JSON body of every error response. */
export const ErrorBody = z
  .object({
    code: z.enum(CODES),
    message: z.string(),
    /** Structured facts behind the message (parameter name, rule, remaining budget, ...). */
    details: z.record(z.string(), z.unknown()).optional()
  })
  .strict()
  .meta({
    id: 'Error',
    description: 'Every error: a code from a closed set and a message saying how to fix it.'
  });
export type ErrorBody = z.infer<typeof ErrorBody>;

type Facts = Record<string, string | number | undefined>;

/**
 * Why an OpenID Connect access token was refused (the `reason` fact of UNAUTHENTICATED), each
 * with what to do about it. Facts: `issuer`, `audience`, `algorithm`, `accepted`, `claim`.
 */
const TOKEN_REFUSALS: Record<string, (f: Facts) => string> = {
  malformed: () =>
    'it is not a well-formed signed JWT. Send the access token exactly as the sign-in provider issued it',
  expired: () =>
    'it has expired. Sign in again, or let your client refresh the token, and send the new one',
  not_yet_valid: () =>
    'it is not valid yet (its "nbf" or "iat" lies in the future). Check the clocks of this server and of the sign-in provider',
  no_expiry: () => 'it has no expiry ("exp"). Configure the sign-in provider to set one',
  issuer: f =>
    `it was issued by another sign-in provider. This server accepts tokens from ${f.issuer} only`,
  audience: f =>
    `it was issued for another application (audience). This server accepts tokens for ${f.audience}; sign in with that client id`,
  algorithm: f =>
    `it is signed with algorithm "${f.algorithm}", which this server does not accept (accepted: ${f.accepted})`,
  unknown_key: () =>
    'it is signed with a key the sign-in provider does not publish. Sign in again to get a token signed with a current key',
  signature: () => 'its signature does not verify: it was altered or forged',
  no_user_claim: f =>
    `it has no "${f.claim}" claim, which names your Lomas user. Ask the sign-in provider for the scope that adds it (for "email": the "email" scope)`,
  not_accepted: () =>
    'this server does not accept sign-in tokens (OpenID Connect is not configured). Send an API key instead'
};

const MESSAGES: { [C in ErrorCode]: (f: Facts) => string } = {
  UNAUTHENTICATED: f =>
    f.reason === undefined
      ? 'No valid API key or access token was sent. Send "Authorization: Bearer <your API key or access token>"; ask an administrator for a key if you have none.'
      : `The access token was refused: ${(TOKEN_REFUSALS[f.reason] ?? TOKEN_REFUSALS.malformed)(f)}.`,
  FORBIDDEN: f =>
    `You may not ${f.action ?? 'do this'}. ${f.reason ?? 'This action needs the admin role.'}`,
  NOT_FOUND: f => `${f.what ?? 'The resource'} was not found. Check the name or path.`,
  METHOD_NOT_ALLOWED: f => `${f.path} does not answer ${f.method}. It answers ${f.allowed}.`,
  DATASET_NOT_FOUND: f =>
    `Dataset "${f.dataset}" does not exist or is not shared with you. List the datasets you can query with lomas.datasets().`,
  NO_GRANT: f =>
    `You have no privacy budget on dataset "${f.dataset}". Ask an administrator for a grant.`,
  INVALID_REQUEST: f =>
    `The request is malformed: ${f.problem}. Fix the request and send it again.`,
  INVALID_PARAMETER: f =>
    `Parameter "${f.parameter}" is invalid: ${f.rule}.${f.fix ? ' ' + f.fix : ''}`,
  INVALID_PLAN: f => `The query plan is invalid: ${f.problem}.${f.fix ? ' ' + f.fix : ''}`,
  UNSUPPORTED_EXPRESSION: f =>
    `This expression cannot be used in a query: ${f.problem}${f.snippet ? ` (in \`${f.snippet}\`)` : ''}. ${f.fix ?? 'Use column references, literals, comparisons, arithmetic, logic and the listed functions.'}`,
  INVALID_SQL: f => `The SQL cannot be read: ${f.problem}.${f.fix ? ' ' + f.fix : ''}`,
  UNSUPPORTED_SQL: f =>
    `${f.what} is not supported in Lomas SQL (rule "${f.rule}"): ${f.why}${f.fix ? ' ' + f.fix : ''}`,
  UNKNOWN_COLUMN: f =>
    `Column "${f.column}" is not in dataset "${f.dataset}". Known columns: ${f.known}.`,
  TYPE_MISMATCH: f =>
    `Column "${f.column}" has type ${f.actual}, but ${f.expected} is needed here.${f.fix ? ' ' + f.fix : ''}`,
  PRIVACY_RULE: f => `Privacy rule "${f.rule}" forbids this: ${f.why} ${f.fix ?? ''}`.trim(),
  BUDGET_EXHAUSTED: f =>
    `This query costs ${f.cost} but only ${f.remaining} of your budget on "${f.dataset}" remains. Lower the query's budget or ask an administrator to raise your grant.`,
  DATASET_CAP_EXHAUSTED: f =>
    `This query costs ${f.cost} but only ${f.remaining} of the dataset-wide cap on "${f.dataset}" remains for all analysts together. The cap protects the people in the data from many analysts pooling their answers.`,
  CONFLICT: f => `${f.what ?? 'The resource'} conflicts with the current state: ${f.problem}.`,
  PAYLOAD_TOO_LARGE: f =>
    `The request body is larger than the limit of ${f.limit}. Send a smaller query.`,
  UNSUPPORTED_MEDIA_TYPE: () => 'Send the request body as JSON (Content-Type: application/json).',
  RATE_LIMITED: f =>
    `Too many requests with this API key or sign-in. Wait ${f.retryAfter ?? 'a few'} seconds and try again.`,
  UNAVAILABLE: f =>
    `The service is not ready: ${f.problem ?? 'it is starting or stopping'}. Try again shortly.`,
  QUERY_FAILED: () =>
    'This query was charged but could not be answered. The charge is kept: a failure after the charge (a time or memory limit, too many groups, a data source that failed) can depend on the private data, so every such failure gives this same answer and costs the same. Retrying with the same Idempotency-Key returns this answer again without a new charge; give the queryId in the details to an administrator, who can read the cause in the server log.',
  INTERNAL: () =>
    'The server failed unexpectedly. Nothing about your data was revealed; report the request id to an administrator.'
};

/** Renders the message for a code from its facts. */
export function errorMessage(code: ErrorCode, facts: Facts = {}): string {
  return MESSAGES[code](facts);
}

/** HTTP status that goes with a code. */
export function errorStatus(code: ErrorCode): number {
  return ERROR_CODES[code];
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** A typed error any side can throw; the server's error handler turns it into an ErrorBody. */
export class LomasError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, facts: Facts = {}, details: Record<string, unknown> = {}) {
    super(errorMessage(code, facts));
    this.name = 'LomasError';
    this.code = code;
    this.details = { ...facts, ...details };
    // An expected, explained error: in a notebook the advice matters, not library stack frames.
    this.stack = `${this.name} [${code}]: ${this.message}`;
  }
  /** The error an ErrorBody describes, keeping its exact wording (it carries the facts of that request). */
  static fromBody(body: ErrorBody): LomasError {
    const e = new LomasError(body.code, {}, body.details ?? {});
    e.message = body.message;
    e.stack = `${e.name} [${e.code}]: ${e.message}`;
    return e;
  }
  get status(): number {
    return errorStatus(this.code);
  }
  /**
   * How console.log and a notebook kernel print it: the code and the advice, once. Without this,
   * Node prints the stack a vm context decorated with library source lines, then the details.
   */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `${this.name} [${this.code}]: ${this.message}`;
  }
  toBody(): ErrorBody {
    return { code: this.code, message: this.message, details: this.details };
  }
}
