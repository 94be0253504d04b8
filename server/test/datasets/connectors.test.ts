import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { openSource, parseConnector } from '../../src/datasets/connectors';
import { ConnectorError } from '../../src/datasets/connectors/types';
import { loadDataset } from '../../src/engine/load';
import { meta } from '../engine/helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver');

const M = meta({
  columns: {
    id: { type: 'int' },
    name: { type: 'string', categories: ['x', 'y'] },
    score: { type: 'float', lower: 0, upper: 1, nullable: true }
  }
});
const CSV = 'id,name,score\n1,x,0.5\n2,y,\n3,z,0.25\n';
const dir = mkdtempSync(join(tmpdir(), 'lomas-conn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rowsOf(settings: unknown, opts = {}) {
  const src = await openSource(settings, opts);
  try {
    const d = await loadDataset(src, M);
    const c = await d.instance.connect();
    const r = (await c.runAndReadAll('SELECT id, name, score FROM data ORDER BY id')).getRows();
    c.closeSync();
    d.close();
    return r;
  } finally {
    await src.release();
  }
}
const EXPECTED = [
  [1n, 'x', 0.5],
  [2n, 'y', null],
  [3n, null, 0.25]
];

describe('file connector: csv, json, parquet, arrow', () => {
  beforeAll(async () => {
    writeFileSync(join(dir, 'd.csv'), CSV);
    writeFileSync(
      join(dir, 'd.json'),
      JSON.stringify([
        { id: 1, name: 'x', score: 0.5 },
        { id: 2, name: 'y', score: null },
        { id: 3, name: 'z', score: 0.25 }
      ])
    );
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    await c.run(
      `COPY (SELECT * FROM read_csv($1)) TO '${join(dir, 'd.parquet')}' (FORMAT parquet)`,
      [join(dir, 'd.csv')]
    );
    c.closeSync();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fl = require('@uwdata/flechette');
    const t = fl.tableFromArrays({
      id: [1, 2, 3],
      name: ['x', 'y', 'z'],
      score: [0.5, null, 0.25]
    });
    writeFileSync(join(dir, 'd.arrow'), fl.tableToIPC(t, { format: 'file' }));
  });
  test.each(['csv', 'json', 'parquet', 'arrow'])('%s', async format => {
    expect(await rowsOf({ kind: 'file', path: join(dir, `d.${format}`), format })).toEqual(
      EXPECTED
    );
  });
  test('renamed source columns and missing columns', async () => {
    writeFileSync(join(dir, 'r.csv'), 'Id Number,Name (full),score\n1,x,0.5\n2,y,\n3,z,0.25\n');
    expect(
      await rowsOf({
        kind: 'file',
        path: join(dir, 'r.csv'),
        format: 'csv',
        columns: { id: 'Id Number', name: 'Name (full)' }
      })
    ).toEqual(EXPECTED);
    await expect(rowsOf({ kind: 'file', path: join(dir, 'r.csv'), format: 'csv' })).rejects.toThrow(
      /column "id"/
    );
  });
  test('invalid settings and missing files are connector errors', async () => {
    expect(() => parseConnector({ kind: 'ftp', url: 'x' })).toThrow(ConnectorError);
    await expect(
      openSource({ kind: 'file', path: join(dir, 'nope.csv'), format: 'csv' })
    ).rejects.toThrow(ConnectorError);
  });
});

describe('http connector (loopback server)', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/d.csv') {
        res.writeHead(200, { 'content-type': 'text/csv' });
        res.end(CSV);
      } else if (req.url === '/big') {
        res.writeHead(200); // no content-length: chunked, the streamed limit applies
        res.write('x'.repeat(4096));
        res.end('x'.repeat(4096));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise(r => server.close(r)));

  test('downloads to a temp file, loads, removes the file', async () => {
    const tmp = mkdtempSync(join(dir, 'dl-'));
    expect(
      await rowsOf({ kind: 'http', url: `${base}/d.csv`, format: 'csv' }, { tmpDir: tmp })
    ).toEqual(EXPECTED);
    expect(readdirSync(tmp)).toEqual([]);
  });
  test('size limit and HTTP errors', async () => {
    const tmp = mkdtempSync(join(dir, 'dl-'));
    await expect(
      openSource(
        { kind: 'http', url: `${base}/big`, format: 'csv', maxBytes: 5000 },
        { tmpDir: tmp }
      )
    ).rejects.toThrow(/limit/);
    expect(readdirSync(tmp)).toEqual([]);
    await expect(
      openSource({ kind: 'http', url: `${base}/missing`, format: 'csv' })
    ).rejects.toThrow(/404/);
    expect(() =>
      parseConnector({ kind: 'http', url: 'file:///etc/passwd', format: 'csv' })
    ).toThrow(ConnectorError);
  });
});

describe('s3 connector (real s3rver on loopback)', () => {
  let s3rver: { run(): Promise<AddressInfo>; close(): Promise<void> };
  let endpoint: string;
  // A fresh object each time: the AWS SDK adds bookkeeping keys to credential objects it is given.
  const creds = () => ({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  beforeAll(async () => {
    s3rver = new S3rver({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory: mkdtempSync(join(dir, 's3-'))
    });
    const addr = await s3rver.run();
    endpoint = `http://127.0.0.1:${addr.port}`;
    const client = new S3Client({
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: creds()
    });
    await client.send(new CreateBucketCommand({ Bucket: 'private-data' }));
    await client.send(
      new PutObjectCommand({ Bucket: 'private-data', Key: 'dir/d.csv', Body: CSV })
    );
    client.destroy();
  });
  afterAll(() => s3rver.close());

  test('GetObject to a temp file, explicit credentials', async () => {
    expect(
      await rowsOf({
        kind: 's3',
        bucket: 'private-data',
        key: 'dir/d.csv',
        region: 'us-east-1',
        endpoint,
        forcePathStyle: true,
        format: 'csv',
        credentials: creds()
      })
    ).toEqual(EXPECTED);
  });
  test('credentials from named environment variables', async () => {
    const env = { MY_KEY: 'S3RVER', MY_SECRET: 'S3RVER' };
    const s = {
      kind: 's3',
      bucket: 'private-data',
      key: 'dir/d.csv',
      endpoint,
      forcePathStyle: true,
      format: 'csv',
      credentials: { fromEnv: { accessKeyId: 'MY_KEY', secretAccessKey: 'MY_SECRET' } }
    };
    expect(await rowsOf(s, { env })).toEqual(EXPECTED);
    await expect(openSource(s, { env: {} })).rejects.toThrow(/not set/);
  });
  test('missing key and size limit', async () => {
    const s = {
      kind: 's3',
      bucket: 'private-data',
      endpoint,
      forcePathStyle: true,
      format: 'csv',
      credentials: creds()
    };
    await expect(openSource({ ...s, key: 'nope.csv' })).rejects.toThrow(ConnectorError);
    await expect(openSource({ ...s, key: 'dir/d.csv', maxBytes: 10 })).rejects.toThrow(/limit/);
  });
});
