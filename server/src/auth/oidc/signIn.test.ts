import type { JWTPayload } from 'jose';
import { LomasError } from 'lomas-kernel/protocol';
import type { OidcSettings } from '../../config';
import { MemoryStore } from '../../store/memory';
import { claimValue, identityOf } from './identity';
import { createTokenSignIn } from './signIn';

/**
 * From verified claims to a Lomas user: which claim names the user, when the admin role is
 * given, what happens to users Lomas does not know. The verifier is replaced by a function
 * returning fixed claims (verify.test.ts covers verification).
 */

const BASE: OidcSettings = {
  issuer: 'https://idp.example.org',
  audiences: ['lomas_client'],
  userClaim: 'email',
  autoCreate: false,
  algorithms: ['RS256'],
  clockToleranceSec: 30
};
const ADMIN_BY_GROUP: Partial<OidcSettings> = { adminClaim: 'groups', adminValue: 'lomas-admins' };

function errorOf(fn: () => unknown): LomasError {
  try {
    fn();
  } catch (err) {
    return err as LomasError;
  }
  throw new Error('no error');
}

async function rejectionOf(p: Promise<unknown>): Promise<LomasError> {
  return p.then(
    () => {
      throw new Error('no error');
    },
    (err: LomasError) => err
  );
}

describe('claims → identity', () => {
  test('a claim is found by exact name first, then by dotted path', () => {
    const claims: JWTPayload = {
      'https://example.org/roles': ['a'],
      realm_access: { roles: ['admin'] },
      'a.b': 'flat'
    };
    expect(claimValue(claims, 'https://example.org/roles')).toEqual(['a']);
    expect(claimValue(claims, 'realm_access.roles')).toEqual(['admin']);
    expect(claimValue(claims, 'a.b')).toBe('flat');
    expect(claimValue(claims, 'realm_access.missing')).toBeUndefined();
    expect(claimValue(claims, 'toString')).toBeUndefined();
  });

  test('the user claim names the user; without it the token is refused (401)', () => {
    expect(identityOf({ email: 'ada@lomas.test' }, BASE)).toEqual({ user: 'ada@lomas.test' });
    const e = errorOf(() => identityOf({ sub: 'x' }, BASE));
    expect(e.code).toBe('UNAUTHENTICATED');
    expect(e.message).toContain('no "email" claim');
    expect(
      identityOf({ preferred_username: 'ada' }, { ...BASE, userClaim: 'preferred_username' })
    ).toEqual({ user: 'ada' });
  });

  test('an email the provider has not verified does not sign anyone in', () => {
    const e = errorOf(() => identityOf({ email: 'ada@lomas.test', email_verified: false }, BASE));
    expect(e.code).toBe('FORBIDDEN');
    expect(e.message).toMatch(/not verified this email address/);
  });

  test('a claim value that cannot be a Lomas user name is refused with advice', () => {
    const e = errorOf(() => identityOf({ email: 'two words@x' }, BASE));
    expect(e.code).toBe('FORBIDDEN');
    expect(e.message).toContain('LOMAS_OIDC_USER_CLAIM');
  });

  test('the admin claim, string or list, decides the admin flag only when configured', () => {
    const s = { ...BASE, ...ADMIN_BY_GROUP };
    expect(identityOf({ email: 'a@x', groups: ['x', 'lomas-admins'] }, s).admin).toBe(true);
    expect(identityOf({ email: 'a@x', groups: 'lomas-admins' }, s).admin).toBe(true);
    expect(identityOf({ email: 'a@x', groups: ['lomas-admins-not'] }, s).admin).toBe(false);
    expect(identityOf({ email: 'a@x' }, s).admin).toBe(false);
    expect(identityOf({ email: 'a@x', groups: ['lomas-admins'] }, BASE).admin).toBeUndefined();
  });
});

describe('sign-in against the store', () => {
  let store: MemoryStore;
  const signInWith = (claims: JWTPayload, over: Partial<OidcSettings> = {}) =>
    createTokenSignIn({ ...BASE, ...over }, store, {}, async () => claims).signIn('token');

  beforeEach(async () => {
    store = new MemoryStore();
    await store.init();
  });

  test('a user Lomas does not know is refused (403) with what to ask the administrator', async () => {
    const e = await rejectionOf(signInWith({ email: 'new@lomas.test' }));
    expect(e.code).toBe('FORBIDDEN');
    expect(e.message).toContain('Ask the administrator to create it');
    expect(e.message).toContain('users create new@lomas.test');
    expect(await store.getUser('new@lomas.test')).toBeNull();
  });

  test('with auto-create, the first sign-in creates the user (admin when the claim says so)', async () => {
    const auto = { autoCreate: true, ...ADMIN_BY_GROUP };
    expect(await signInWith({ email: 'new@lomas.test' }, auto)).toEqual({
      user: 'new@lomas.test',
      role: 'analyst'
    });
    expect(await signInWith({ email: 'boss@lomas.test', groups: ['lomas-admins'] }, auto)).toEqual({
      user: 'boss@lomas.test',
      role: 'admin'
    });
    expect((await store.getUser('new@lomas.test'))?.role).toBe('analyst');
    expect((await store.getUser('boss@lomas.test'))?.role).toBe('admin');
  });

  test('simultaneous first sign-ins create one user and all succeed', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        signInWith({ email: 'race@lomas.test' }, { autoCreate: true })
      )
    );
    expect(results.every(r => r.user === 'race@lomas.test')).toBe(true);
    expect((await store.listUsers()).filter(u => u.name === 'race@lomas.test')).toHaveLength(1);
  });

  test('with an admin claim configured the token decides the role; without one, the store', async () => {
    await store.createUser({ name: 'ada@lomas.test', role: 'admin', active: true, createdAt: 't' });
    await store.createUser({
      name: 'bob@lomas.test',
      role: 'analyst',
      active: true,
      createdAt: 't'
    });
    expect((await signInWith({ email: 'ada@lomas.test' }, ADMIN_BY_GROUP)).role).toBe('analyst');
    expect(
      (await signInWith({ email: 'bob@lomas.test', groups: ['lomas-admins'] }, ADMIN_BY_GROUP)).role
    ).toBe('admin');
    expect((await signInWith({ email: 'ada@lomas.test' })).role).toBe('admin');
    expect((await signInWith({ email: 'bob@lomas.test', groups: ['lomas-admins'] })).role).toBe(
      'analyst'
    );
  });

  test('a deactivated user stays out, even with auto-create and the admin claim', async () => {
    await store.createUser({
      name: 'old@lomas.test',
      role: 'analyst',
      active: false,
      createdAt: 't'
    });
    const e = await rejectionOf(
      signInWith(
        { email: 'old@lomas.test', groups: ['lomas-admins'] },
        { autoCreate: true, ...ADMIN_BY_GROUP }
      )
    );
    expect(e.code).toBe('FORBIDDEN');
    expect(e.message).toContain('deactivated');
  });
});
