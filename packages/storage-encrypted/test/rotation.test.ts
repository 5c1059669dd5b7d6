// Key rotation moves every value under the new key without losing one: a
// half-finished rotation (a crash at any write) still reads everything, and
// running rotate() again finishes it. Old keys never win over newer copies.
import { isAnchorSyncError, type JsonValue, type StorageDriver } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { describe, expect, it } from 'vitest';
import { encryptedStorage } from '../src/index.ts';
import type { EncryptedStorageKey } from '../src/index.ts';
import { deriveEncryptedStorageKey } from '../src/keys.ts';
import { dump, expectCode, failingWrites, testBytes, testKey } from './helpers.ts';

const A = await testKey(1);
const B = await testKey(2);
const C = await testKey(3);

const DATA: Record<string, JsonValue> = {
  'fed:anchors:prod:org-a': [{ kid: 'k1' }],
  'fed:anchors:__state__:prod:org-a': { seq: 3 },
  'fed:signers:root': { kid: 'root' },
  'fed:signer-secrets:root': 'c2VjcmV0',
  'fed:trust:prod:org-a:root': { pub: 'x' },
};

async function filled(key: EncryptedStorageKey, data = DATA): Promise<StorageDriver> {
  const inner = memoryStorage();
  const storage = encryptedStorage(inner, { key });
  for (const [k, v] of Object.entries(data)) await storage.set(k, v);
  return inner;
}

async function readAll(storage: StorageDriver): Promise<Record<string, JsonValue>> {
  const out: Record<string, JsonValue> = {};
  for (const k of await storage.list('')) out[k] = (await storage.get(k))!;
  return out;
}

/** How many inner entries live under the namespace of `key` (its tag is the first segment of each inner name). */
async function countUnder(inner: StorageDriver, key: EncryptedStorageKey): Promise<number> {
  const probe = memoryStorage();
  await encryptedStorage(probe, { key }).set('x', 1);
  const tag = (await probe.list(''))[0]!.split(':')[0]!;
  return (await inner.list(`${tag}:`)).length;
}

/** The real name in DATA whose inner name under `key` is `innerName` (blinding is deterministic). */
async function realNameOf(innerName: string, key: EncryptedStorageKey): Promise<string> {
  for (const name of Object.keys(DATA)) {
    const probe = memoryStorage();
    await encryptedStorage(probe, { key }).set(name, 1);
    if ((await probe.list(''))[0] === innerName) return name;
  }
  throw new Error(`no name for ${innerName}`);
}

describe('key rotation', () => {
  it('before rotating, a wrapper with previousKeys reads and lists everything; rotate() moves it all', async () => {
    const inner = await filled(A);
    const next = encryptedStorage(inner, { key: B, previousKeys: [A] });
    expect(await readAll(next)).toEqual(DATA);
    expect(await next.rotate()).toEqual({ moved: 5, dropped: 0, remaining: 0 });
    expect(await countUnder(inner, A)).toBe(0);
    expect(await countUnder(inner, B)).toBe(5);
    // The old key is no longer needed, and no longer reads anything.
    expect(await readAll(encryptedStorage(inner, { key: B }))).toEqual(DATA);
    expect(await encryptedStorage(inner, { key: A }).list('')).toEqual([]);
    expect(await next.rotate()).toEqual({ moved: 0, dropped: 0, remaining: 0 });
  });

  it('a crash at every single write of a rotation loses nothing, and rotating again finishes', async () => {
    const total = 2 * Object.keys(DATA).length; // one set and one delete per value
    for (let failAt = 1; failAt <= total; failAt++) {
      const inner = await filled(A);
      const faulty = failingWrites(inner, failAt);
      const error = await encryptedStorage(faulty, { key: B, previousKeys: [A] }).rotate().catch((e: unknown) => e);
      expect(isAnchorSyncError(error, 'ERR_STORAGE'), `write ${failAt}`).toBe(true);
      // After the crash, a restarted wrapper reads exactly the data.
      expect(await readAll(encryptedStorage(inner, { key: B, previousKeys: [A] }))).toEqual(DATA);
      const report = await encryptedStorage(inner, { key: B, previousKeys: [A] }).rotate();
      expect(report.remaining).toBe(0);
      expect(await countUnder(inner, A)).toBe(0);
      expect(await readAll(encryptedStorage(inner, { key: B }))).toEqual(DATA);
    }
  });

  for (const appWrite of ['set', 'delete'] as const) {
    it(`an app ${appWrite} of the very value a rotation is moving is never undone by the rotation`, async () => {
      const inner = await filled(A);
      // Hold the rotation's first write (its copy of one value under B) until the app has written that value.
      let release!: () => void;
      let held!: (innerName: string) => void;
      const gate = new Promise<void>((r) => (release = r));
      const heldName = new Promise<string>((r) => (held = r));
      let first = true;
      const gated: StorageDriver = {
        get: (k) => inner.get(k),
        list: (p) => inner.list(p),
        delete: (k) => inner.delete(k),
        async set(k, v) {
          if (first) {
            first = false;
            held(k);
            await gate;
          }
          return inner.set(k, v);
        },
      };
      const next = encryptedStorage(gated, { key: B, previousKeys: [A] });
      const rotation = next.rotate();
      const innerName = await heldName;
      const name = await realNameOf(innerName, B);
      const app = appWrite === 'set' ? next.set(name, 'new') : next.delete(name);
      await new Promise((r) => setTimeout(r, 5));
      release();
      await Promise.all([rotation, app]);
      const expected: Record<string, JsonValue> = { ...DATA };
      if (appWrite === 'set') expected[name] = 'new';
      else delete expected[name];
      expect(await readAll(encryptedStorage(inner, { key: B }))).toEqual(expected);
      expect(await countUnder(inner, A)).toBe(0);
    });
  }

  it('a read racing a rotation of the same value still sees the value', async () => {
    const inner = await filled(A);
    const name = 'fed:signers:root';
    const probe = memoryStorage();
    await encryptedStorage(probe, { key: B }).set(name, 1);
    const underB = (await probe.list(''))[0]!;
    // The read looks under B first and finds nothing; its answer is held back while the rotation runs.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let first = true;
    const gated: StorageDriver = {
      async get(k) {
        const value = await inner.get(k);
        if (k === underB && first) {
          first = false;
          await gate;
        }
        return value;
      },
      list: (p) => inner.list(p),
      set: (k, v) => inner.set(k, v),
      delete: (k) => inner.delete(k),
    };
    const next = encryptedStorage(gated, { key: B, previousKeys: [A] });
    const read = next.get(name);
    const rotation = next.rotate();
    setTimeout(release, 20);
    expect(await read).toEqual(DATA[name]);
    expect((await rotation).moved).toBe(5);
  });

  it('a value written under the new key wins over its old copy, also when that copy is rotated later', async () => {
    const inner = await filled(A);
    const next = encryptedStorage(inner, { key: B, previousKeys: [A] });
    await next.set('fed:signers:root', { kid: 'root', status: 'RETIRED' });
    expect(await next.get('fed:signers:root')).toEqual({ kid: 'root', status: 'RETIRED' });
    expect(await next.rotate()).toEqual({ moved: 4, dropped: 1, remaining: 0 });
    expect(await encryptedStorage(inner, { key: B }).get('fed:signers:root')).toEqual({ kid: 'root', status: 'RETIRED' });
  });

  it('a delete during a half-done rotation removes every copy, and a crash inside it never uncovers the old value', async () => {
    for (const failAt of [1, 2]) {
      const inner = await filled(A);
      await encryptedStorage(inner, { key: B, previousKeys: [A] }).set('fed:signers:root', 'newer');
      const faulty = encryptedStorage(failingWrites(inner, failAt), { key: B, previousKeys: [A] });
      await expectCode(faulty.delete('fed:signers:root'), 'ERR_STORAGE');
      // Old copy deleted first: what is left is the newer value, never the older one.
      expect(await encryptedStorage(inner, { key: B, previousKeys: [A] }).get('fed:signers:root'), `write ${failAt}`).toBe('newer');
    }
    const inner = await filled(A);
    const next = encryptedStorage(inner, { key: B, previousKeys: [A] });
    await next.set('fed:signers:root', 'newer');
    await next.delete('fed:signers:root');
    expect(await next.get('fed:signers:root')).toBeUndefined();
    expect(await next.list('fed:signers:')).toEqual([]);
  });

  it('two unfinished rotations (A->B, then B->C): the newer previous key wins and one rotate() finishes both', async () => {
    const inner = await filled(A);
    // A->B stopped after its first value.
    await encryptedStorage(failingWrites(inner, 2), { key: B, previousKeys: [A] }).rotate().catch(() => undefined);
    await encryptedStorage(inner, { key: B, previousKeys: [A] }).set('fed:anchors:prod:org-a', 'under B');
    const latest = encryptedStorage(inner, { key: C, previousKeys: [B, A] });
    const expected = { ...DATA, 'fed:anchors:prod:org-a': 'under B' };
    expect(await readAll(latest)).toEqual(expected);
    const report = await latest.rotate();
    expect(report.remaining).toBe(0);
    expect(await countUnder(inner, A)).toBe(0);
    expect(await countUnder(inner, B)).toBe(0);
    expect(await readAll(encryptedStorage(inner, { key: C }))).toEqual(expected);
  });

  it('a tampered copy stops the rotation with ERR_STORAGE_TAMPERED and is not deleted; nothing else is lost', async () => {
    const inner = await filled(A);
    const names = await inner.list('');
    await inner.set(names[0]!, (await inner.get(names[1]!))!);
    const next = encryptedStorage(inner, { key: B, previousKeys: [A] });
    await expectCode(next.rotate(), 'ERR_STORAGE_TAMPERED');
    expect(await inner.get(names[0]!)).toEqual(await inner.get(names[1]!));
  });

  it('a spoiled copy under the current key is refused, never replaced by the older copy under a previous key', async () => {
    const inner = await filled(A);
    const before = new Set(await inner.list(''));
    const next = encryptedStorage(inner, { key: B, previousKeys: [A] });
    await next.set('fed:signers:root', 'newer');
    const current = (await inner.list('')).find((k) => !before.has(k))!;
    await inner.set(current, 'junk');
    await expectCode(next.get('fed:signers:root'), 'ERR_STORAGE_CORRUPT');
    await expectCode(next.rotate(), 'ERR_STORAGE_CORRUPT');
  });

  it('an aborted rotation stops with ERR_ABORTED, and rotating again finishes', async () => {
    const inner = await filled(A);
    const controller = new AbortController();
    controller.abort(new Error('user went away'));
    const next = encryptedStorage(inner, { key: B, previousKeys: [A] });
    await expectCode(next.rotate({ signal: controller.signal }), 'ERR_ABORTED');
    expect(await readAll(next)).toEqual(DATA);
    expect((await next.rotate()).moved).toBe(5);
  });

  it('refuses the current key among previousKeys, or one key twice, also as another CryptoKey of the same key: rotation would delete what it wrote', async () => {
    const inner = await filled(A);
    const before = await dump(inner);
    const sameAsA = await deriveEncryptedStorageKey(testBytes(1));
    expect(sameAsA.values).not.toBe(A.values);
    for (const previousKeys of [[A], [sameAsA], [B, B], [B, A, B]]) {
      const storage = encryptedStorage(inner, { key: A, previousKeys });
      await expectCode(storage.get('fed:signers:root'), 'ERR_INVALID_ARGUMENT');
      await expectCode(storage.set('fed:signers:root', 'lost'), 'ERR_INVALID_ARGUMENT');
      await expectCode(storage.rotate(), 'ERR_INVALID_ARGUMENT');
    }
    expect(await dump(inner)).toEqual(before);
  });
});
