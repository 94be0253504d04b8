import type { NextFunction, Request, Response } from 'express';
import { cors } from './cors';

/** Runs the middleware on a request from `origin`; returns the headers set and whether it passed on. */
function through(origins: string[], origin: string | undefined, method = 'GET') {
  const headers: Record<string, string> = {};
  let status: number | undefined;
  let next = false;
  const req = { method, headers: origin ? { origin } : {} } as unknown as Request;
  const res = {
    setHeader: (k: string, v: string) => (headers[k.toLowerCase()] = v),
    status: (s: number) => ((status = s), res),
    end: () => res
  } as unknown as Response;
  cors(origins)(req, res, (() => (next = true)) as NextFunction);
  return { headers, status, next };
}

test('no origin allowed (the default): no CORS header, even for a preflight', () => {
  expect(through([], 'http://127.0.0.1:8888')).toEqual({
    headers: {},
    status: undefined,
    next: true
  });
  expect(through([], 'http://127.0.0.1:8888', 'OPTIONS').headers).toEqual({});
});

test('a listed origin is allowed by name; others get nothing', () => {
  const ok = through(['https://lab.example.org'], 'https://lab.example.org');
  expect(ok.headers['access-control-allow-origin']).toBe('https://lab.example.org');
  expect(through(['https://lab.example.org'], 'https://evil.example').headers).toEqual({});
  const preflight = through(['https://lab.example.org'], 'https://lab.example.org', 'OPTIONS');
  expect(preflight.status).toBe(204);
  expect(preflight.next).toBe(false);
});

test('* allows any origin', () => {
  expect(through(['*'], 'https://any.example').headers['access-control-allow-origin']).toBe('*');
});
