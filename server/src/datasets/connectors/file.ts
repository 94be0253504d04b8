import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { ConnectorError, type FileSettings, type LocalSource } from './types';

/** A local file the server can read. The path is admin configuration (never analyst input). */
export async function fileSource(s: FileSettings): Promise<LocalSource> {
  const path = resolve(s.path);
  let size: number;
  try {
    const st = await fs.stat(path);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (e) {
    throw new ConnectorError(`cannot read ${path}: ${(e as Error).message}`, 'file', { cause: e });
  }
  return {
    path,
    format: s.format,
    columns: s.columns ?? {},
    bytes: size,
    release: async () => undefined
  };
}
