import { LomasError } from 'lomas-kernel/protocol';
import type { OidcSettings } from '../../config';
import { providerKeys } from './provider';
import {
  flipSignatureByte,
  signingKey,
  signToken,
  startFakeProvider,
  type FakeProvider,
  type SigningKey
} from './testing/fakeProvider';
import { accessTokenVerifier, MAX_TOKEN_LENGTH, type AccessTokenVerifier } from './verify';

/**
 * The access-token verifier against locally generated keys and a stand-in provider: every way a
 * token can be wrong gets its own 401 reason, the provider is read lazily, and an unknown key id
 * causes exactly one JWKS download.
 */

let provider: FakeProvider;
let key: SigningKey;
let problems: string[];

function settings(over: Partial<OidcSettings> = {}): OidcSettings {
  return {
    issuer: provider.issuer,
    audiences: ['lomas_client'],
    userClaim: 'email',
    autoCreate: false,
    algorithms: ['RS256', 'ES256'],
    clockToleranceSec: 5,
    ...over
  };
}

function verifier(over: Partial<OidcSettings> = {}): AccessTokenVerifier {
  const s = settings(over);
  return accessTokenVerifier(
    s,
    providerKeys({
      issuer: s.issuer,
      refetchCooldownMs: 0,
      retryAfterFailureMs: 60_000,
      onUnavailable: p => problems.push(p)
    })
  );
}

const claims = () => ({ iss: provider.issuer, aud: 'lomas_client', email: 'ada@lomas.test' });

/** The refusal a verification ends in: its code, reason and message. */
async function refusal(
  p: Promise<unknown>
): Promise<{ code: string; reason: unknown; message: string }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(LomasError);
    const e = err as LomasError;
    expect(e.stack).not.toMatch(/\n\s+at /); // no stack frames reach a client
    return { code: e.code, reason: e.details.reason, message: e.message };
  }
  throw new Error('the token was accepted');
}

beforeEach(async () => {
  key = await signingKey('k1');
  provider = await startFakeProvider([key]);
  problems = [];
});
afterEach(() => provider.close());

test('a valid token gives its claims; nothing is fetched before the first token', async () => {
  const verify = verifier();
  expect(provider.requests).toEqual({ discovery: 0, jwks: 0 });
  const payload = await verify(await signToken(key, claims()));
  expect(payload.email).toBe('ada@lomas.test');
  await verify(await signToken(key, claims()));
  expect(provider.requests).toEqual({ discovery: 1, jwks: 1 }); // cached afterwards
});

test('an audience list accepts a token for any of its audiences', async () => {
  const verify = verifier({ audiences: ['other', 'lomas_client'] });
  await expect(
    verify(await signToken(key, { ...claims(), aud: ['x', 'other'] }))
  ).resolves.toBeTruthy();
});

test('an expired token is refused beyond the clock tolerance, accepted within it', async () => {
  const verify = verifier();
  const now = Math.floor(Date.now() / 1000);
  const late = await signToken(key, { ...claims(), iat: now - 100, exp: now - 60 });
  const r = await refusal(verify(late));
  expect(r).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'expired' });
  expect(r.message).toMatch(/expired\. Sign in again/);
  const justNow = await signToken(key, { ...claims(), iat: now - 100, exp: now - 2 });
  await expect(verify(justNow)).resolves.toBeTruthy();
});

test('a token not valid yet, or without an expiry, is refused', async () => {
  const verify = verifier();
  const now = Math.floor(Date.now() / 1000);
  expect(
    await refusal(verify(await signToken(key, { ...claims(), nbf: now + 600 })))
  ).toMatchObject({
    reason: 'not_yet_valid'
  });
  const noExp = await signToken(key, { ...claims(), exp: undefined });
  expect(await refusal(verify(noExp))).toMatchObject({ reason: 'no_expiry' });
});

test('a token for another audience is refused and names the accepted audience', async () => {
  const r = await refusal(verifier()(await signToken(key, { ...claims(), aud: 'other_client' })));
  expect(r).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'audience' });
  expect(r.message).toContain('"lomas_client"');
});

test('a token of another issuer is refused before any download, even when signed by a trusted key', async () => {
  const r = await refusal(
    verifier()(await signToken(key, { ...claims(), iss: 'https://evil.example.org' }))
  );
  expect(r).toMatchObject({ reason: 'issuer' });
  expect(r.message).toContain(provider.issuer);
  expect(provider.requests).toEqual({ discovery: 0, jwks: 0 });
});

test('an altered token fails its signature check', async () => {
  const verify = verifier();
  const token = await signToken(key, claims());
  expect(await refusal(verify(flipSignatureByte(token)))).toMatchObject({ reason: 'signature' });
  // A later expiry written into the payload breaks the signature too.
  const [h, , s] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...claims(), exp: 4102444800 })).toString(
    'base64url'
  );
  expect(await refusal(verify(`${h}.${forged}.${s}`))).toMatchObject({ reason: 'signature' });
});

test('an unknown key id costs exactly one JWKS download, then 401', async () => {
  const verify = verifier();
  await verify(await signToken(key, claims()));
  const stranger = await signingKey('not-published');
  const r = await refusal(verify(await signToken(stranger, claims())));
  expect(r).toMatchObject({ reason: 'unknown_key' });
  expect(provider.requests).toEqual({ discovery: 1, jwks: 2 });
});

test('a key rotation is picked up by that one download', async () => {
  const verify = verifier();
  await verify(await signToken(key, claims()));
  const next = await signingKey('k2', 'ES256');
  provider.publish([next]);
  await expect(verify(await signToken(next, claims()))).resolves.toBeTruthy();
  expect(provider.requests.jwks).toBe(2);
});

test('algorithms outside the allow-list are refused: HS256, none, and an allowed-looking RS384', async () => {
  const verify = verifier();
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = enc({ ...claims(), exp: Math.floor(Date.now() / 1000) + 60 });
  const hs = `${enc({ alg: 'HS256', kid: 'k1' })}.${body}.${'A'.repeat(43)}`;
  expect(await refusal(verify(hs))).toMatchObject({ reason: 'algorithm' });
  const none = `${enc({ alg: 'none' })}.${body}.`;
  const r = await refusal(verify(none));
  expect(r).toMatchObject({ reason: 'algorithm' });
  expect(r.message).toContain('accepted: RS256, ES256');
  const rs384 = await signingKey('k384', 'RS384');
  expect(await refusal(verify(await signToken(rs384, claims())))).toMatchObject({
    reason: 'algorithm'
  });
  expect(provider.requests.jwks).toBe(0);
});

test('malformed tokens get one clear refusal, whatever is wrong', async () => {
  const verify = verifier();
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const header = enc({ alg: 'RS256', kid: 'k1' });
  const bad = [
    'abc.def.ghi',
    `${header}.${Buffer.from('not json').toString('base64url')}.AAAA`,
    `${header}.${enc([1, 2])}.AAAA`,
    `${enc('x')}.${enc({})}.AAAA`,
    `${header}.${enc({ iss: provider.issuer })}.${'A'.repeat(MAX_TOKEN_LENGTH)}`
  ];
  for (const token of bad) {
    const r = await refusal(verify(token));
    expect(r).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'malformed' });
    expect(r.message).toMatch(/^The access token was refused: it is not a well-formed signed JWT/);
  }
  // A claim of the wrong type (exp as a string) in a properly signed token.
  const odd = await signToken(key, { ...claims(), exp: 'soon' as unknown as number });
  expect(await refusal(verify(odd))).toMatchObject({ reason: 'malformed' });
});

test('an unreachable provider is a 503, reported without token material, and not hammered', async () => {
  provider.failWith(500);
  const verify = verifier();
  const token = await signToken(key, claims());
  for (let i = 0; i < 3; i++) {
    const r = await refusal(verify(token));
    expect(r.code).toBe('UNAVAILABLE');
    expect(r.message).toMatch(/sign-in provider cannot be reached/);
  }
  expect(provider.requests.discovery).toBe(1); // later requests fail fast
  expect(problems).toHaveLength(1);
  expect(problems[0]).toContain('HTTP 500');
  expect(problems.join(' ')).not.toContain(token.split('.')[2]);
});

test('a discovery document that names another issuer is not trusted', async () => {
  provider.claimIssuer('https://elsewhere.example.org');
  const r = await refusal(verifier()(await signToken(key, claims())));
  expect(r.code).toBe('UNAVAILABLE');
  expect(problems[0]).toMatch(/names the issuer https:\/\/elsewhere/);
  expect(provider.requests.jwks).toBe(0);
});

test('once the keys are known, a provider outage does not stop valid tokens', async () => {
  const verify = verifier();
  await verify(await signToken(key, claims()));
  provider.failWith(503);
  await expect(verify(await signToken(key, claims()))).resolves.toBeTruthy();
});
