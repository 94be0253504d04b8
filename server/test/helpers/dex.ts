/**
 * The real OpenID Connect provider of the sign-in tests: Dex, started by `.ci/dex.sh` (dex_start,
 * called by .ci/test.sh), which exports where it listens and the passwords of its static users.
 * Tokens come from its password grant, as the Python Lomas client gets them.
 */
export interface DexUser {
  email: string;
  password: string;
}

export interface Dex {
  /** The main instance (10-minute tokens). */
  issuer: string;
  /** A second instance with 1-second tokens: expired tokens, and tokens of another issuer. */
  shortIssuer: string;
  analyst: DexUser;
  admin: DexUser;
  /** A user Lomas does not know. */
  stranger: DexUser;
  /** A user whose email Dex marks unverified (same password as the stranger). */
  unverified: DexUser;
}

const START =
  'source .ci/dex.sh && dex_start (or run the whole suite with npm test, which starts it)';

/**
 * Dex from the environment. Without DEX_ISSUER the sign-in tests are skipped locally with a
 * message saying how to run them; under CI=true a missing Dex is a failure.
 */
export function dexFromEnv(): Dex | null {
  const env = process.env;
  if (!env.DEX_ISSUER || !env.DEX_SHORT_ISSUER) {
    if (env.CI === 'true') throw new Error(`CI=true but Dex is not running: ${START}`);
    console.warn(`OpenID Connect tests skipped: DEX_ISSUER is not set. To run them: ${START}`);
    return null;
  }
  const user = (name: string): DexUser => ({
    email: env[`DEX_${name}_EMAIL`] ?? `${name.toLowerCase()}@lomas.test`,
    password: env[`DEX_${name}_PASSWORD`] ?? ''
  });
  return {
    issuer: env.DEX_ISSUER,
    shortIssuer: env.DEX_SHORT_ISSUER,
    analyst: user('ANALYST'),
    admin: user('ADMIN'),
    stranger: user('STRANGER'),
    unverified: { email: 'unverified@lomas.test', password: env.DEX_STRANGER_PASSWORD ?? '' }
  };
}

/** An access token from Dex's password grant (username = the user's email, public client). */
export async function passwordGrant(
  issuer: string,
  user: DexUser,
  clientId = 'lomas_client',
  scope = 'openid email profile groups'
): Promise<string> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: clientId,
      username: user.email,
      password: user.password,
      scope
    })
  });
  const body = (await res.json()) as { access_token?: string; error?: string };
  if (!res.ok || !body.access_token)
    throw new Error(
      `Dex refused the password grant for ${user.email}: ${body.error ?? res.status}`
    );
  return body.access_token;
}
