import { LomasError, type KeyView } from 'lomas-kernel/protocol';
import { newKey } from '../auth/keys';
import type { ApiKeyRecord, Role, Store, UserRecord } from '../store/types';

/** A key as an administrator sees it: never its salt or hash. */
function keyView(k: ApiKeyRecord): KeyView {
  return { id: k.id, user: k.user, label: k.label, createdAt: k.createdAt, revokedAt: k.revokedAt };
}

export async function mustUser(store: Store, name: string): Promise<UserRecord> {
  const u = await store.getUser(name);
  if (!u) throw new LomasError('NOT_FOUND', { what: `User "${name}"` });
  return u;
}

/** Users and their API keys (a key's plaintext is shown once, when it is issued). */
export function userAdmin(store: Store, now: () => string) {
  return {
    listUsers: () => store.listUsers(),

    async createUser(input: { name: string; role: Role; active: boolean }): Promise<UserRecord> {
      const user: UserRecord = { ...input, createdAt: now() };
      await store.createUser(user);
      return user;
    },

    async getUser(name: string): Promise<UserRecord & { keys: KeyView[] }> {
      const u = await mustUser(store, name);
      return { ...u, keys: (await store.listKeys(name)).map(keyView) };
    },

    async setActive(actor: string, name: string, active: boolean): Promise<UserRecord> {
      await mustUser(store, name);
      if (!active && name === actor)
        throw new LomasError('CONFLICT', {
          what: `User "${name}"`,
          problem: 'an administrator cannot deactivate themselves'
        });
      await store.setUserActive(name, active);
      return mustUser(store, name);
    },

    async listKeys(name: string): Promise<KeyView[]> {
      await mustUser(store, name);
      return (await store.listKeys(name)).map(keyView);
    },

    async issueKey(name: string, label: string): Promise<KeyView & { key: string }> {
      await mustUser(store, name);
      const { record, key } = newKey(name, label, now());
      await store.addKey(record);
      return { ...keyView(record), key };
    },

    async revokeKey(id: string): Promise<KeyView> {
      const k = await store.getKey(id);
      if (!k) throw new LomasError('NOT_FOUND', { what: `API key "${id}"` });
      if (k.revokedAt === null) await store.revokeKey(id, now());
      return keyView((await store.getKey(id))!);
    }
  };
}
