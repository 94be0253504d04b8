import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { downloadedSource } from './download';
import {
  ConnectorError,
  DEFAULT_MAX_BYTES,
  type ConnectorOptions,
  type LocalSource,
  type S3Settings
} from './types';

function credentialsOf(s: S3Settings, env: NodeJS.ProcessEnv) {
  const c = s.credentials;
  if (!c) return undefined; // AWS SDK default provider chain (env, profile, instance role)
  if ('fromEnv' in c) {
    const accessKeyId = env[c.fromEnv.accessKeyId];
    const secretAccessKey = env[c.fromEnv.secretAccessKey];
    if (!accessKeyId || !secretAccessKey)
      throw new ConnectorError(
        `environment variables ${c.fromEnv.accessKeyId}/${c.fromEnv.secretAccessKey} are not set`,
        's3'
      );
    const sessionToken = c.fromEnv.sessionToken ? env[c.fromEnv.sessionToken] : undefined;
    return { accessKeyId, secretAccessKey, sessionToken };
  }
  return {
    accessKeyId: c.accessKeyId,
    secretAccessKey: c.secretAccessKey,
    sessionToken: c.sessionToken
  };
}

/** GetObject (AWS SDK v3) streamed to a private temp file with a size limit. */
export async function s3Source(s: S3Settings, opts: ConnectorOptions = {}): Promise<LocalSource> {
  const maxBytes = s.maxBytes ?? opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const client = new S3Client({
    region: s.region,
    endpoint: s.endpoint,
    forcePathStyle: s.forcePathStyle,
    credentials: credentialsOf(s, opts.env ?? process.env)
  });
  try {
    let out;
    try {
      out = await client.send(new GetObjectCommand({ Bucket: s.bucket, Key: s.key }));
    } catch (e) {
      throw new ConnectorError(
        `s3://${s.bucket}/${s.key}: ${(e as Error).name}: ${(e as Error).message}`,
        's3',
        { cause: e }
      );
    }
    if (out.ContentLength !== undefined && out.ContentLength > maxBytes) {
      (out.Body as Readable | undefined)?.destroy?.();
      throw new ConnectorError(
        `s3://${s.bucket}/${s.key}: ${out.ContentLength} bytes exceed the limit of ${maxBytes}`,
        's3'
      );
    }
    if (!(out.Body instanceof Readable))
      throw new ConnectorError(`s3://${s.bucket}/${s.key}: empty body`, 's3');
    return downloadedSource(out.Body, s, opts, maxBytes, 's3');
  } finally {
    client.destroy();
  }
}
