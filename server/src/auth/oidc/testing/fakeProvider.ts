import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload
} from 'jose';

/**
 * A stand-in OpenID provider for unit tests only (integration tests use real Dex): a loopback
 * HTTP server with a discovery document and a JWKS whose keys the test controls, counting the
 * requests it answers.
 */
export interface FakeProvider {
  issuer: string;
  requests: { discovery: number; jwks: number };
  /** Publishes exactly these keys from now on (a key rotation). */
  publish(keys: SigningKey[]): void;
  /** Answer every request with this HTTP status (0: answer normally). */
  failWith(status: number): void;
  /** The discovery document's "issuer" (default: the real one). */
  claimIssuer(issuer: string): void;
  close(): Promise<void>;
}

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function signingKey(kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

export async function startFakeProvider(keys: SigningKey[]): Promise<FakeProvider> {
  let published = keys;
  let status = 0;
  let claimedIssuer: string | null = null;
  const requests = { discovery: 0, jwks: 0 };
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url.endsWith('/.well-known/openid-configuration')) requests.discovery++;
    else if (url.endsWith('/keys')) requests.jwks++;
    if (status !== 0) {
      res.writeHead(status).end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    if (url.endsWith('/.well-known/openid-configuration'))
      res.end(JSON.stringify({ issuer: claimedIssuer ?? issuer, jwks_uri: `${issuer}/keys` }));
    else if (url.endsWith('/keys'))
      res.end(JSON.stringify({ keys: published.map(k => k.publicJwk) }));
    else res.writeHead(404).end();
  });
  await new Promise<void>(ok => server.listen(0, '127.0.0.1', ok));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/idp`;
  return {
    issuer,
    requests,
    publish: k => (published = k),
    failWith: s => (status = s),
    claimIssuer: i => (claimedIssuer = i),
    close: () => new Promise(ok => server.close(() => ok()))
  };
}

/** A token signed by `key`: iss, aud, iat, exp (now + lifetime) unless `claims` overrides them. */
export async function signToken(
  key: SigningKey,
  claims: JWTPayload,
  opts: { lifetimeSec?: number; header?: Record<string, unknown> } = {}
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = { iat: now, exp: now + (opts.lifetimeSec ?? 300), ...claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...opts.header })
    .sign(key.privateKey);
}

/** The same token with one byte of its signature flipped (a base64url character in the middle). */
export function flipSignatureByte(token: string): string {
  const [h, p, s] = token.split('.');
  const sig = Buffer.from(s, 'base64url');
  sig[Math.floor(sig.length / 2)] ^= 0x01;
  return `${h}.${p}.${sig.toString('base64url')}`;
}
