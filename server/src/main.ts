// First: DuckDB's allocator reads its configuration when DuckDB loads (see allocator.ts).
import './allocator';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { startServer } from './server';

/** Entry point: fail fast on bad configuration, stop gracefully on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const server = await startServer(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    server
      .stop()
      .then(() => process.exit(0))
      .catch(err => {
        logger.error({ err }, 'failed to stop cleanly');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch(err => {
  process.stderr.write(
    `Lomas server failed to start: ${err instanceof Error ? err.message : String(err)}\n`
  );
  process.exit(1);
});
