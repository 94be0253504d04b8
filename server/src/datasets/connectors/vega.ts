import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  ConnectorError,
  VEGA_FILES,
  type LocalSource,
  type VegaName,
  type VegaSettings
} from './types';

let dataDir: string | undefined;

/**
 * The `data/` folder of the installed `vega-datasets` package. The package is ESM with only "."
 * exported, so we resolve its entry point and walk up to the folder holding its package.json.
 */
export function vegaDataDir(): string {
  if (dataDir) return dataDir;
  let dir = dirname(require.resolve('vega-datasets'));
  for (let i = 0; i < 6; i++) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const pkg = require(join(dir, 'package.json')) as { name?: string };
      if (pkg.name === 'vega-datasets') return (dataDir = join(dir, 'data'));
    } catch {
      /* keep walking */
    }
    dir = dirname(dir);
  }
  throw new ConnectorError('the vega-datasets package folder was not found', 'vega-datasets');
}

export function vegaFile(name: VegaName): { path: string; format: LocalSource['format'] } {
  const f = VEGA_FILES[name];
  return { path: join(vegaDataDir(), f.file), format: f.format };
}

/** A data file of the `vega-datasets` npm package (read in place, never copied). */
export async function vegaSource(s: VegaSettings): Promise<LocalSource> {
  const { path, format } = vegaFile(s.name);
  let size: number;
  try {
    size = (await fs.stat(path)).size;
  } catch (e) {
    throw new ConnectorError(`vega-datasets file ${path} is missing`, 'vega-datasets', {
      cause: e
    });
  }
  return { path, format, columns: s.columns ?? {}, bytes: size, release: async () => undefined };
}
