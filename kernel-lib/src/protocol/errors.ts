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
  UNKNOWN_COLUMN: 400,
  TYPE_MISMATCH: 400,
  PRIVACY_RULE: 400,
  BUDGET_EXHAUSTED: 403,
  DATASET_CAP_EXHAUSTED: 403,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  CONNECTOR_FAILED: 502,
  UNAVAILABLE: 503,
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

const MESSAGES: { [C in ErrorCode]: (f: Facts) => string } = {
  UNAUTHENTICATED: () =>
    'No valid API key was sent. Send "Authorization: Bearer <your API key>"; ask an administrator for a key if you have none.',
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
    `Too many requests with this API key. Wait ${f.retryAfter ?? 'a few'} seconds and try again.`,
  CONNECTOR_FAILED: f =>
    `The data of dataset "${f.dataset}" could not be loaded. An administrator should check the dataset's connector settings.`,
  UNAVAILABLE: f =>
    `The service is not ready: ${f.problem ?? 'it is starting or stopping'}. Try again shortly.`,
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
  toBody(): ErrorBody {
    return { code: this.code, message: this.message, details: this.details };
  }
}
