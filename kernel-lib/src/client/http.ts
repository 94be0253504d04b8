import axios, { AxiosError, CanceledError, type AxiosInstance } from 'axios';
import { errorMessage, isErrorCode, LomasError, type ErrorBody } from '../protocol';
import type { ResolvedConfig } from './config';
import { INSPECT } from './display';
import { interruptible } from './interrupt';

/** Turns an HTTP failure into the server's typed error, or a readable connection error. */
export function toLomasError(err: unknown, url: string): Error {
  if (err instanceof LomasError) return err;
  if (err instanceof CanceledError)
    // The kernel was interrupted: the answer never came; the caller may learn more (runner.ts).
    return new LomasError('CANCELLED', { what: 'request' }, { noAnswer: true });
  if (err instanceof AxiosError) {
    const body = err.response?.data as Partial<ErrorBody> | undefined;
    if (body && isErrorCode(body.code))
      return LomasError.fromBody({
        code: body.code,
        message: typeof body.message === 'string' ? body.message : errorMessage(body.code),
        details: body.details
      });
    if (!err.response)
      return new LomasError(
        'UNAVAILABLE',
        {
          problem: `no answer from ${url} (${err.code ?? err.message}); is the Lomas server running?`
        },
        { noAnswer: true }
      );
    return new LomasError('INTERNAL');
  }
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * The only holder of the API key. Printing or serializing a client (or a connection or dataset
 * that holds one) shows the server URL, never the key: a notebook's outputs are shared.
 */
export class HttpClient {
  private readonly http: AxiosInstance;
  constructor(readonly config: ResolvedConfig) {
    this.http = axios.create({
      baseURL: config.url,
      timeout: config.timeoutMs,
      headers: { Authorization: `Bearer ${config.token}` }
    });
  }

  [INSPECT](): string {
    return `HttpClient(${this.config.url})`;
  }

  toJSON(): { url: string } {
    return { url: this.config.url };
  }

  /** Requests end early, with CANCELLED, when the kernel is interrupted (interrupt.ts). */
  async get<T>(path: string, params?: Record<string, string | number>): Promise<T> {
    try {
      return await interruptible(
        async signal => (await this.http.get<T>(path, { params, signal })).data
      );
    } catch (err) {
      throw toLomasError(err, this.config.url);
    }
  }

  async post<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
    try {
      return await interruptible(
        async signal => (await this.http.post<T>(path, body, { headers, signal })).data
      );
    } catch (err) {
      throw toLomasError(err, this.config.url);
    }
  }
}
