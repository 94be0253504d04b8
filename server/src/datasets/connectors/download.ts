import { createWriteStream, promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ConnectorError, type Format, type LocalSource } from './types';

/** A fresh private temp path (mode 0600 on creation) for a download. */
export async function tempPath(tmpDir: string | undefined, format: Format): Promise<string> {
  const dir = await fs.mkdtemp(join(tmpDir ?? tmpdir(), 'lomas-src-'));
  return join(dir, `${randomBytes(8).toString('hex')}.${format}`);
}

/** Removes a downloaded file and its private directory; never throws. */
export async function removeTemp(path: string): Promise<void> {
  await fs.rm(join(path, '..'), { recursive: true, force: true }).catch(() => undefined);
}

/**
 * Streams `body` to `path`, failing as soon as more than `maxBytes` arrive (the partial file is
 * removed). Returns the number of bytes written.
 */
export async function streamToFile(
  body: Readable | ReadableStream<Uint8Array>,
  path: string,
  maxBytes: number,
  kind: string
): Promise<number> {
  let bytes = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > maxBytes)
        cb(new ConnectorError(`download exceeds the limit of ${maxBytes} bytes`, kind));
      else cb(null, chunk);
    }
  });
  const source =
    body instanceof Readable
      ? body
      : Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>);
  try {
    await pipeline(source, limiter, createWriteStream(path, { mode: 0o600 }));
  } catch (e) {
    await removeTemp(path);
    throw e instanceof ConnectorError
      ? e
      : new ConnectorError(`download failed: ${(e as Error).message}`, kind, { cause: e });
  }
  return bytes;
}

/** Downloads `body` to a private temp file: the LocalSource a remote connector hands the engine. */
export async function downloadedSource(
  body: Readable | ReadableStream<Uint8Array>,
  s: { format: Format; columns?: Record<string, string> },
  opts: { tmpDir?: string },
  maxBytes: number,
  kind: string
): Promise<LocalSource> {
  const path = await tempPath(opts.tmpDir, s.format);
  const bytes = await streamToFile(body, path, maxBytes, kind);
  return {
    path,
    format: s.format,
    columns: s.columns ?? {},
    bytes,
    release: () => removeTemp(path)
  };
}
