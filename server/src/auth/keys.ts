import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord } from '../store/types';

/**
 * API keys look like `lomas_<16 hex id>_<secret>`. The id locates the record; only
 * sha256(salt ‖ secret) is stored. Keys are 256-bit random, so a fast hash is enough
 * (no password stretching needed) and lookups stay cheap on every request.
 */
const KEY_PATTERN = /^lomas_([0-9a-f]{16})_([A-Za-z0-9_-]{20,100})$/;

export interface ParsedKey {
  id: string;
  secret: string;
}

export function parseKey(key: string): ParsedKey | null {
  const m = KEY_PATTERN.exec(key);
  return m ? { id: m[1], secret: m[2] } : null;
}

function hashSecret(salt: string, secret: string): Buffer {
  return createHash('sha256').update(salt).update('\0').update(secret).digest();
}

/** A fresh random key for `user`: the record to store and the plaintext to show once. */
export function newKey(
  user: string,
  label: string,
  now: string
): { record: ApiKeyRecord; key: string } {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return {
    key: `lomas_${id}_${secret}`,
    record: recordFor(`lomas_${id}_${secret}`, user, label, now)
  };
}

/** The record of a given plaintext key (used to bootstrap keys passed in the environment). */
export function recordFor(key: string, user: string, label: string, now: string): ApiKeyRecord {
  const parsed = parseKey(key);
  if (!parsed) throw new Error('malformed API key');
  const salt = randomBytes(16).toString('hex');
  return {
    id: parsed.id,
    user,
    salt,
    hash: hashSecret(salt, parsed.secret).toString('hex'),
    label,
    createdAt: now,
    revokedAt: null
  };
}

const DUMMY_SALT = randomBytes(16).toString('hex');
const DUMMY_HASH = hashSecret(DUMMY_SALT, 'x');

/** Constant-time check of a secret against a record (or against a dummy when there is no record). */
export function secretMatches(record: ApiKeyRecord | null, secret: string): boolean {
  const expected = record ? Buffer.from(record.hash, 'hex') : DUMMY_HASH;
  const actual = hashSecret(record ? record.salt : DUMMY_SALT, secret);
  return expected.length === actual.length && timingSafeEqual(expected, actual) && record !== null;
}
