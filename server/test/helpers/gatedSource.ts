import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP data source on 127.0.0.1 whose answers wait behind a gate: a dataset registered
 * with `{ kind: 'http', url }` is then charged and stuck loading until the test opens the gate,
 * which makes "a query that runs for a while" deterministic (the Lomas server's HTTP connector
 * downloads after the charge).
 */
export interface GatedSource {
  url: string;
  /** GET requests received so far. */
  requests(): number;
  /** Answers every waiting and later request. */
  open(): void;
  close(): Promise<void>;
}

export async function gatedSource(body: string, contentType = 'text/csv'): Promise<GatedSource> {
  let opened = false;
  let count = 0;
  const waiting: ServerResponse[] = [];
  const answer = (res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  const server = createServer((_req, res) => {
    count++;
    if (opened) answer(res);
    else waiting.push(res);
  });
  await new Promise<void>(ok => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/data.csv`,
    requests: () => count,
    open() {
      opened = true;
      for (const res of waiting.splice(0)) answer(res);
    },
    close() {
      for (const res of waiting.splice(0)) res.destroy();
      server.closeAllConnections();
      return new Promise(ok => server.close(() => ok()));
    }
  };
}
