// The optional session rollback check: within one wrapper instance (the one
// writer), a read that does not return the envelope this instance last wrote
// or read at that name (an older one, a deleted one come back, none) is
// refused with ERR_STORAGE_ROLLBACK. What it does not cover (a restart) is
// pinned in tamper.test.ts.
import type { JsonValue, StorageDriver } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { describe, expect, it } from 'vitest';
import { encryptedStorage } from '../src/index.ts';
import { dump, expectCode, testKey } from './helpers.ts';

const NAME = 'fed:anchors:__state__:prod:org-a';
const key = await testKey(1);

/** Writes `values` in order through `storage`, returning the envelope each left in `inner`. */
async function versions(inner: StorageDriver, storage: StorageDriver, values: JsonValue[]): Promise<{ innerName: string; envelopes: JsonValue[] }> {
  const envelopes: JsonValue[] = [];
  for (const value of values) {
    await storage.set(NAME, value);
    const names = await inner.list('');
    envelopes.push((await inner.get(names[0]!))!);
  }
  return { innerName: (await inner.list(''))[0]!, envelopes };
}

describe('session rollback check', () => {
  it('refuses an older envelope after this instance only read the newer one, and the refusal changes nothing', async () => {
    const inner = memoryStorage();
    const writer = encryptedStorage(inner, { key, sessionRollbackCheck: true });
    const { innerName, envelopes } = await versions(inner, writer, [{ seq: 1 }, { seq: 2 }]);
    const reader = encryptedStorage(inner, { key, sessionRollbackCheck: true });
    expect(await reader.get(NAME)).toEqual({ seq: 2 });
    await inner.set(innerName, envelopes[0]!);
    const before = await dump(inner);
    await expectCode(reader.get(NAME), 'ERR_STORAGE_ROLLBACK');
    expect(await dump(inner)).toEqual(before);
    // Putting the current envelope back ends the alarm: nothing was forgotten or overwritten.
    await inner.set(innerName, envelopes[1]!);
    expect(await reader.get(NAME)).toEqual({ seq: 2 });
  });

  it('refuses a value this instance saw that has disappeared', async () => {
    const inner = memoryStorage();
    const storage = encryptedStorage(inner, { key, sessionRollbackCheck: true });
    const { innerName } = await versions(inner, storage, [{ seq: 1 }]);
    await inner.delete(innerName);
    await expectCode(storage.get(NAME), 'ERR_STORAGE_ROLLBACK');
  });

  it('refuses a value this instance deleted when it is put back', async () => {
    const inner = memoryStorage();
    const storage = encryptedStorage(inner, { key, sessionRollbackCheck: true });
    const { innerName, envelopes } = await versions(inner, storage, [{ seq: 1 }]);
    await storage.delete(NAME);
    expect(await storage.get(NAME)).toBeUndefined();
    await inner.set(innerName, envelopes[0]!);
    await expectCode(storage.get(NAME), 'ERR_STORAGE_ROLLBACK');
  });

  it('keeps counting across a delete, so a value from before the delete is older than one written after it', async () => {
    const inner = memoryStorage();
    const storage = encryptedStorage(inner, { key, sessionRollbackCheck: true });
    const { innerName, envelopes } = await versions(inner, storage, [{ seq: 1 }, { seq: 2 }]);
    await storage.delete(NAME);
    await storage.set(NAME, { seq: 3 });
    await inner.set(innerName, envelopes[1]!);
    await expectCode(storage.get(NAME), 'ERR_STORAGE_ROLLBACK');
  });

  it('a fresh instance that writes refuses the envelope its write replaced', async () => {
    const inner = memoryStorage();
    const { innerName, envelopes } = await versions(inner, encryptedStorage(inner, { key, sessionRollbackCheck: true }), [{ seq: 1 }, { seq: 2 }]);
    const restarted = encryptedStorage(inner, { key, sessionRollbackCheck: true });
    await restarted.set(NAME, { seq: 3 });
    await inner.set(innerName, envelopes[1]!);
    await expectCode(restarted.get(NAME), 'ERR_STORAGE_ROLLBACK');
  });

  it('covers values written without the check too: it remembers envelopes, not counters written into them', async () => {
    const inner = memoryStorage();
    const { innerName, envelopes } = await versions(inner, encryptedStorage(inner, { key }), [{ seq: 1 }, { seq: 2 }]);
    const reader = encryptedStorage(inner, { key, sessionRollbackCheck: true });
    expect(await reader.get(NAME)).toEqual({ seq: 2 });
    await inner.set(innerName, envelopes[0]!);
    await expectCode(reader.get(NAME), 'ERR_STORAGE_ROLLBACK');
  });

  it('a write that fails at the inner store, landed or not, raises no false alarm on the next read', async () => {
    for (const landed of [false, true]) {
      const inner = memoryStorage();
      let failNext = false;
      // The next write fails with a plain Error, after (landed) or instead of reaching the store.
      const flaky: StorageDriver = {
        get: (k) => inner.get(k),
        list: (p) => inner.list(p),
        delete: (k) => inner.delete(k),
        async set(k, v) {
          if (!failNext) return inner.set(k, v);
          failNext = false;
          if (landed) await inner.set(k, v);
          throw new Error('connection reset');
        },
      };
      const storage = encryptedStorage(flaky, { key, sessionRollbackCheck: true });
      await storage.set(NAME, { seq: 1 });
      failNext = true;
      await expectCode(storage.set(NAME, { seq: 2 }), 'ERR_STORAGE');
      expect(await storage.get(NAME), `landed: ${landed}`).toEqual(landed ? { seq: 2 } : { seq: 1 });
      // And the check is armed again: what that read found is now what must stay.
      const [innerName] = await inner.list('');
      await inner.delete(innerName!);
      await expectCode(storage.get(NAME), 'ERR_STORAGE_ROLLBACK');
    }
  });

  it('after a rotation, an older copy uncovered under the previous key is refused', async () => {
    const inner = memoryStorage();
    const { envelopes, innerName: underA } = await versions(inner, encryptedStorage(inner, { key, sessionRollbackCheck: true }), [{ seq: 1 }, { seq: 2 }]);
    const next = encryptedStorage(inner, { key: await testKey(2), previousKeys: [key], sessionRollbackCheck: true });
    expect(await next.get(NAME)).toEqual({ seq: 2 });
    await next.rotate();
    const [underB] = await inner.list('');
    // The provider drops the new copy and puts the oldest copy under the old key back.
    await inner.delete(underB!);
    await inner.set(underA, envelopes[0]!);
    await expectCode(next.get(NAME), 'ERR_STORAGE_ROLLBACK');
  });

  it('raises no false alarm in a single writer\'s ordinary life: writes, reads, deletes, lists, rotation', async () => {
    const inner = memoryStorage();
    const storage = encryptedStorage(inner, { key, sessionRollbackCheck: true });
    for (let i = 0; i < 5; i++) {
      await storage.set(NAME, { seq: i });
      expect(await storage.get(NAME)).toEqual({ seq: i });
      if (i % 2 === 1) {
        await storage.delete(NAME);
        expect(await storage.get(NAME)).toBeUndefined();
      }
    }
    expect(await storage.list('fed:')).toEqual([NAME]);
    const next = encryptedStorage(inner, { key: await testKey(2), previousKeys: [key], sessionRollbackCheck: true });
    expect(await next.get(NAME)).toEqual({ seq: 4 });
    await next.rotate();
    await next.set(NAME, { seq: 5 });
    expect(await next.get(NAME)).toEqual({ seq: 5 });
  });
});
