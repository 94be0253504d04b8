/**
 * Connectors: the settings schemas are part of the wire contract (lomas-kernel/protocol,
 * connectors.ts) and re-exported here; what a connector produces and how it fails are the server's.
 */
export {
  ConnectorSpec,
  DEFAULT_MAX_BYTES,
  FileSettings,
  Format,
  FORMATS,
  HttpSettings,
  S3Settings,
  VEGA_FILES,
  VegaSettings,
  type VegaName
} from 'lomas-kernel/protocol';
import type { Format } from 'lomas-kernel/protocol';

/** A file ready for loading. `release()` deletes it if the connector downloaded it. */
export interface LocalSource {
  path: string;
  format: Format;
  /** Metadata column → source column (identity for columns not listed). */
  columns: Record<string, string>;
  bytes: number;
  release(): Promise<void>;
}

export interface ConnectorOptions {
  /** Where downloads go (default: os.tmpdir()). */
  tmpDir?: string;
  /** Upper bound on bytes for http/s3 when the settings give none. */
  maxBytes?: number;
  /** Environment to read credentials from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * An admin-facing failure of a connector. Its message goes to the server log; after a query's
 * charge the analyst gets the generic QUERY_FAILED, like every other post-charge failure.
 */
export class ConnectorError extends Error {
  constructor(
    message: string,
    readonly kind: string,
    options?: { cause?: unknown }
  ) {
    super(message, options);
    this.name = 'ConnectorError';
  }
}
