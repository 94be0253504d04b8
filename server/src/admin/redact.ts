import type { DatasetRecord } from '../store/types';

const REDACTED = '<redacted>';

/** Connector settings without secrets: explicit S3 credentials, HTTP header values, URL user info. */
export function redactConnector(c: DatasetRecord['connector']): DatasetRecord['connector'] {
  const out: Record<string, unknown> = JSON.parse(JSON.stringify(c));
  const creds = out.credentials as Record<string, unknown> | undefined;
  if (creds && typeof creds === 'object' && !('fromEnv' in creds)) {
    out.credentials = Object.fromEntries(Object.keys(creds).map(k => [k, REDACTED]));
  }
  const headers = out.headers as Record<string, unknown> | undefined;
  if (headers && typeof headers === 'object') {
    out.headers = Object.fromEntries(Object.keys(headers).map(k => [k, REDACTED]));
  }
  if (typeof out.url === 'string') {
    try {
      const u = new URL(out.url);
      if (u.username || u.password) {
        u.username = REDACTED;
        u.password = '';
        out.url = u.toString();
      }
    } catch {
      // not a URL: leave it
    }
  }
  return out as DatasetRecord['connector'];
}
