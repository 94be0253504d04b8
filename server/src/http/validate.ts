import { isUtf8 } from 'node:buffer';
import type { NextFunction, Request, Response } from 'express';
import { LomasError } from 'lomas-kernel/protocol';
import type { z } from 'zod';

/** At most this many issues travel back in `details.issues` (a hostile body can have thousands). */
const MAX_ISSUES = 10;

function issuePath(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? '(body)' : path.map(p => String(p)).join('.');
}

function issues(err: z.ZodError): Array<{ path: string; message: string }> {
  return err.issues.slice(0, MAX_ISSUES).map(i => ({
    path: issuePath(i.path).slice(0, 200),
    message: i.message.slice(0, 300)
  }));
}

/** Validates a JSON body; a failure is INVALID_REQUEST naming the first problem. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const list = issues(r.error);
  const first = list[0] ?? { path: '(body)', message: 'invalid' };
  const problem =
    body === undefined ? 'a JSON body is required' : `${first.path}: ${first.message}`;
  throw new LomasError('INVALID_REQUEST', { problem }, { issues: list });
}

/** Validates query or path parameters; a failure is INVALID_PARAMETER naming the parameter. */
export function parseParams<S extends z.ZodType>(schema: S, params: unknown): z.output<S> {
  const r = schema.safeParse(params ?? {});
  if (r.success) return r.data;
  const list = issues(r.error);
  const first = r.error.issues[0];
  const unknownKeys = first && first.code === 'unrecognized_keys' ? first.keys : undefined;
  const parameter = unknownKeys
    ? unknownKeys.join(', ')
    : first
      ? issuePath(first.path)
      : '(parameters)';
  const rule = unknownKeys ? 'unknown parameter' : (first?.message ?? 'invalid');
  throw new LomasError(
    'INVALID_PARAMETER',
    { parameter: parameter.slice(0, 200), rule: rule.slice(0, 300) },
    { issues: list }
  );
}

const FORBIDDEN_KEYS = new Set(['__proto__']);
const MAX_DEPTH = 64;

/** Finds a `__proto__` key or nesting deeper than MAX_DEPTH anywhere in a parsed JSON value. */
export function hostileShape(value: unknown): string | null {
  const stack: Array<{ v: unknown; d: number }> = [{ v: value, d: 0 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > MAX_DEPTH) return `the body is nested deeper than ${MAX_DEPTH} levels`;
    if (Array.isArray(v)) {
      for (const x of v) stack.push({ v: x, d: d + 1 });
      continue;
    }
    for (const k of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(k)) return `the key "${k}" is not allowed`;
      stack.push({ v: (v as Record<string, unknown>)[k], d: d + 1 });
    }
  }
  return null;
}

/**
 * Rejects JSON bodies carrying `__proto__` keys or absurd nesting before any route sees them
 * (defence in depth: the route schemas are strict too). Mount after express.json.
 */
export function bodyGuard(req: Request, _res: Response, next: NextFunction): void {
  if (req.body !== undefined) {
    const problem = hostileShape(req.body);
    if (problem) throw new LomasError('INVALID_REQUEST', { problem });
  }
  next();
}

/**
 * `verify` hook for express.json: a body that is not valid UTF-8 is refused (body-parser would
 * otherwise decode bad bytes to U+FFFD silently). The error becomes a 400 INVALID_REQUEST.
 */
export function rejectInvalidUtf8(_req: unknown, _res: unknown, buf: Buffer): void {
  if (!isUtf8(buf)) {
    const err = new Error('the body is not valid UTF-8') as Error & { type: string };
    err.type = 'encoding.invalid';
    throw err;
  }
}
