import { downloadedSource } from './download';
import {
  ConnectorError,
  DEFAULT_MAX_BYTES,
  type ConnectorOptions,
  type HttpSettings,
  type LocalSource
} from './types';

/**
 * Downloads an HTTP(S) resource to a private temp file with Node's fetch. The declared
 * Content-Length is checked first, then the streamed byte count (servers can lie or omit it).
 * Redirects are followed by fetch but only to http(s) URLs (fetch refuses other schemes).
 */
export async function httpSource(
  s: HttpSettings,
  opts: ConnectorOptions = {}
): Promise<LocalSource> {
  const maxBytes = s.maxBytes ?? opts.maxBytes ?? DEFAULT_MAX_BYTES;
  let res: Response;
  try {
    res = await fetch(s.url, {
      headers: s.headers,
      redirect: 'follow',
      signal: AbortSignal.timeout(s.timeoutMs ?? 300_000)
    });
  } catch (e) {
    throw new ConnectorError(`GET ${s.url} failed: ${(e as Error).message}`, 'http', { cause: e });
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    throw new ConnectorError(`GET ${s.url} answered HTTP ${res.status}`, 'http');
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body.cancel().catch(() => undefined);
    throw new ConnectorError(
      `GET ${s.url}: ${declared} bytes exceed the limit of ${maxBytes}`,
      'http'
    );
  }
  return downloadedSource(res.body, s, opts, maxBytes, 'http');
}
