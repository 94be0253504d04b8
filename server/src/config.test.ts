import { ConfigError, loadConfig } from './config';

/** OpenID Connect settings: validated at start, so a mistake stops the server with a clear line. */

function problemOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

test('sign-in is off without an issuer, and on with documented defaults with one', () => {
  expect(loadConfig({}).oidc).toBeUndefined();
  expect(loadConfig({ LOMAS_OIDC_ISSUER: 'https://idp.example.org/realms/lomas' }).oidc).toEqual({
    issuer: 'https://idp.example.org/realms/lomas',
    audiences: ['lomas_client'],
    userClaim: 'email',
    adminClaim: undefined,
    adminValue: undefined,
    autoCreate: false,
    algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    clockToleranceSec: 30
  });
});

test('lists are comma-separated; the admin claim and value come together', () => {
  const oidc = loadConfig({
    LOMAS_OIDC_ISSUER: 'http://127.0.0.1:5556/dex',
    LOMAS_OIDC_AUDIENCE: 'lomas_client, jupyter',
    LOMAS_OIDC_ALGORITHMS: 'ES256,RS256',
    LOMAS_OIDC_ADMIN_CLAIM: 'realm_access.roles',
    LOMAS_OIDC_ADMIN_VALUE: 'lomas-admin',
    LOMAS_OIDC_AUTO_CREATE: 'true'
  }).oidc;
  expect(oidc).toMatchObject({
    audiences: ['lomas_client', 'jupyter'],
    algorithms: ['ES256', 'RS256'],
    adminClaim: 'realm_access.roles',
    adminValue: 'lomas-admin',
    autoCreate: true
  });
});

test.each([
  [{ LOMAS_OIDC_ISSUER: 'not a url' }, 'LOMAS_OIDC_ISSUER: not a URL'],
  [{ LOMAS_OIDC_ISSUER: 'http://idp.example.org' }, 'an https:// URL'],
  [{ LOMAS_OIDC_ISSUER: 'https://idp.example.org/?x=1' }, 'no query or fragment'],
  [
    { LOMAS_OIDC_ISSUER: 'https://idp.example.org', LOMAS_OIDC_ALGORITHMS: 'RS256,HS256' },
    'LOMAS_OIDC_ALGORITHMS'
  ],
  [
    { LOMAS_OIDC_ISSUER: 'https://idp.example.org', LOMAS_OIDC_AUDIENCE: ' , ' },
    'LOMAS_OIDC_AUDIENCE'
  ],
  [{ LOMAS_OIDC_AUTO_CREATE: 'true' }, 'need LOMAS_OIDC_ISSUER'],
  [{ LOMAS_OIDC_ISSUER: 'https://idp.example.org', LOMAS_OIDC_ADMIN_CLAIM: 'groups' }, 'set both'],
  [
    { LOMAS_OIDC_ISSUER: 'https://idp.example.org', LOMAS_OIDC_CLOCK_TOLERANCE_S: '3600' },
    'LOMAS_OIDC_CLOCK_TOLERANCE_S'
  ]
])('%j is refused (%s)', (env, expected) => {
  expect(problemOf(env)).toContain(expected);
});
