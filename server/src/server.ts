import type { Express } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app';
import { createTokenSignIn } from './auth/oidc/signIn';
import { bootstrap } from './bootstrap';
import type { Config } from './config';
import { dummyRows } from './datasets/dummy';
import { createAnalystService } from './domain/analyst';
import { createModelService } from './domain/models';
import { createQueryService } from './domain/queries';
import { createSyntheticService } from './domain/synthetic';
import { cryptoRng } from './dp';
import { DatasetCache } from './engine';
import { createMetrics } from './http/metrics';
import { rateLimit, SharedWindows, TokenBuckets } from './http/rateLimit';
import { serviceRoutes } from './http/service';
import { bodyGuard } from './http/validate';
import { createLedger, type Ledger } from './ledger';
import type { Logger } from './logger';
import { adminRouter } from './routes/admin';
import { openStore, type Store } from './store';

export interface RunningServer {
  url: string;
  /** The server's own store and ledger handles (for tests and the admin tooling in-process). */
  store: Store;
  ledger: Ledger;
  stop(): Promise<void>;
}

/**
 * Listens, or fails with what to do: Express 5 hands a listen error (a port in use) to the
 * callback, and the server is then not listening at all.
 */
function listen(app: Express, host: string, port: number): Promise<Server> {
  return new Promise((ok, fail) => {
    const s = app.listen(port, host, (err?: Error) => {
      if (!err) return ok(s);
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
        return fail(
          new Error(
            `port ${port} on ${host} is in use (another Lomas server, or another program, listens there). ` +
              'Stop it, or start this server on another port: LOMAS_PORT=<port>.'
          )
        );
      fail(err);
    });
  });
}

/** Assembles and starts the service: store → ledger → engine → domain → HTTP. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const store = await openStore({
    mongodbUri: config.mongodbUri,
    mongodbDb: config.mongodbDb,
    dataDir: config.dataDir
  });
  const ledger = createLedger(store);
  await bootstrap(store, ledger, config, logger);
  const cache = new DatasetCache({
    limits: config.engine,
    onLoad: (name, version, d) =>
      logger.info(
        { dataset: name, version, rows: Number(d.rowCount), ms: Math.round(d.loadMs) },
        'dataset loaded'
      )
  });
  const tokenSignIn = config.oidc
    ? createTokenSignIn(config.oidc, store, {
        onUnavailable: problem =>
          logger.warn({ issuer: config.oidc?.issuer, problem }, 'sign-in provider unavailable')
      })
    : undefined;
  const metrics = createMetrics();
  let ready = true;
  const analyst = createAnalystService({
    store,
    ledger,
    dummyRows: async (name, rows, seed) => {
      const d = await store.getDataset(name);
      const columns = Object.keys(d!.metadata.columns);
      return { columns, rows: dummyRows(d!.metadata, rows, seed) };
    }
  });
  const queries = createQueryService({
    store,
    ledger,
    cache,
    rng: cryptoRng(),
    logger,
    limits: config.engine,
    answerWaitMs: config.answerWaitMs
  });
  const synthetic = createSyntheticService({
    store,
    ledger,
    cache,
    rng: cryptoRng(),
    logger,
    answerWaitMs: config.answerWaitMs
  });
  const models = createModelService({
    store,
    ledger,
    cache,
    rng: cryptoRng(),
    logger,
    limits: config.engine
  });
  const app = createApp({
    config,
    logger,
    store,
    tokenSignIn,
    analyst,
    queries,
    synthetic,
    models,
    admin: adminRouter({ store, ledger }, logger),
    publicRoutes: serviceRoutes({
      store,
      tokenSignIn,
      logger,
      metrics,
      timing: { minLatencyMs: config.minLatencyMs, jitterMs: config.latencyJitterMs },
      isReady: () => ready
    }),
    limits: [
      rateLimit(
        config.rateLimitScope === 'store'
          ? new SharedWindows(store, {
              perMinute: config.rateLimitPerMinute,
              onPurgeError: err => logger.warn({ err }, 'could not forget old rate-limit windows')
            })
          : new TokenBuckets({ perMinute: config.rateLimitPerMinute })
      )
    ],
    authenticated: [bodyGuard]
  });
  let server: Server;
  try {
    server = await listen(app, config.host, config.port);
  } catch (err) {
    cache.close();
    await store.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host}:${port}`;
  logger.info(
    { url, store: store.kind, oidcIssuer: config.oidc?.issuer },
    `Lomas server ready on ${url}`
  );
  return {
    url,
    store,
    ledger,
    async stop() {
      ready = false;
      const closed = new Promise<void>(ok => server.close(() => ok()));
      server.closeIdleConnections();
      // In-flight requests get a grace period; then the remaining connections are cut.
      const timer = setTimeout(() => server.closeAllConnections(), 5000);
      await closed;
      clearTimeout(timer);
      cache.close();
      await store.close();
    }
  };
}
