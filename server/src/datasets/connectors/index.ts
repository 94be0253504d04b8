import { fileSource } from './file';
import { httpSource } from './http';
import { ConnectorError, ConnectorSpec, type ConnectorOptions, type LocalSource } from './types';
import { vegaSource } from './vega';

export * from './types';
export { vegaDataDir, vegaFile } from './vega';

/** Checks connector settings (as stored in a DatasetRecord) against the known kinds. */
export function parseConnector(settings: unknown): ConnectorSpec {
  const r = ConnectorSpec.safeParse(settings);
  if (!r.success) {
    const kind = (settings as { kind?: unknown } | null)?.kind;
    throw new ConnectorError(
      `invalid connector settings: ${r.error.issues.map(i => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      typeof kind === 'string' ? kind : 'unknown'
    );
  }
  return r.data;
}

/** Produces a local file for the connector settings (downloading if needed). */
export async function openSource(
  settings: unknown,
  opts: ConnectorOptions = {}
): Promise<LocalSource> {
  const s = parseConnector(settings);
  switch (s.kind) {
    case 'file':
      return fileSource(s);
    case 'http':
      return httpSource(s, opts);
    case 's3':
      // Loaded only for an S3 dataset: the AWS SDK costs about 7 MB of RSS.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require('./s3') as typeof import('./s3')).s3Source(s, opts);
    case 'vega-datasets':
      return vegaSource(s);
    case 'trino':
      // A Trino table is queried where it lives (engine/trino.ts): there is no file to load.
      throw new ConnectorError(
        'a Trino table is not loaded into the embedded engine; only plans run on it',
        'trino'
      );
  }
}
