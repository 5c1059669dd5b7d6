import { mkdtemp, readFile, readdir, rm, stat, utimes, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addSigner, isAnchorSyncError, listSigners } from '@anchorsync/core';
import { fileStorage, STORE_FILE } from '../src/file-storage.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anchorsync-fs-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isAnchorSyncError(e, code as never), `expected ${code}, got ${String(e)}`).toBe(true);
}

describe('fileStorage: StorageDriver contract', () => {
  it('gets what was set, lists by prefix in ascending order, deletes', async () => {
    const s = fileStorage(dir);
    expect(await s.get('a')).toBeUndefined();
    await s.set('fed:b', { n: 2 });
    await s.set('fed:a', [1, 'x', null, true]);
    await s.set('other', 'v');
    expect(await s.get('fed:a')).toEqual([1, 'x', null, true]);
    expect(await s.list('fed:')).toEqual(['fed:a', 'fed:b']);
    expect(await s.list('')).toEqual(['fed:a', 'fed:b', 'other']);
    await s.delete('fed:a');
    await s.delete('missing');
    expect(await s.get('fed:a')).toBeUndefined();
    expect(await s.list('fed:')).toEqual(['fed:b']);
  });

  it('persists across instances (a new process sees every write)', async () => {
    await fileStorage(dir).set('k', { deep: { list: [1, 2] } });
    expect(await fileStorage(dir).get('k')).toEqual({ deep: { list: [1, 2] } });
  });

  it('copies values in and out: mutating an object never changes the store', async () => {
    const s = fileStorage(dir);
    const value = { a: [1] };
    await s.set('k', value);
    value.a.push(2);
    const read = (await s.get('k')) as { a: number[] };
    read.a.push(3);
    expect(await s.get('k')).toEqual({ a: [1] });
  });

  it('keeps a key named __proto__ as an ordinary entry', async () => {
    await fileStorage(dir).set('__proto__', { x: 1 });
    const fresh = fileStorage(dir);
    expect(await fresh.get('__proto__')).toEqual({ x: 1 });
    expect(await fresh.list('')).toEqual(['__proto__']);
  });

  it('sees writes made by another instance (another process) after it last read', async () => {
    const server = fileStorage(dir);
    await server.set('a', 1);
    expect(await server.get('b')).toBeUndefined();
    await fileStorage(dir).set('b', 2);
    expect(await server.get('b')).toBe(2);
    // And its own next write keeps the other instance's data.
    await server.set('c', 3);
    expect(await fileStorage(dir).list('')).toEqual(['a', 'b', 'c']);
  });

  it('works with core registries (signers round-trip)', async () => {
    const s = fileStorage(dir);
    await addSigner(s, { kid: 'root' });
    expect((await listSigners(fileStorage(dir))).map((r) => r.kid)).toEqual(['root']);
  });
});

describe('fileStorage: durability and safety', () => {
  it('creates nothing on disk until the first write', async () => {
    const sub = join(dir, 'not-yet');
    const s = fileStorage(sub);
    expect(await s.get('x')).toBeUndefined();
    expect(await s.list('')).toEqual([]);
    await expect(stat(sub)).rejects.toThrow();
    await s.set('x', 1);
    expect((await stat(join(sub, STORE_FILE))).isFile()).toBe(true);
  });

  it('an atomic write leaves no temp files behind', async () => {
    const s = fileStorage(dir);
    for (let i = 0; i < 5; i++) await s.set(`k${i}`, i);
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.set(`c${i}`, i)));
    await s.delete('k0');
    expect(await readdir(dir)).toEqual([STORE_FILE]);
  });

  it('concurrent sets all land (in-process writes are serialised)', async () => {
    const s = fileStorage(dir);
    await Promise.all(Array.from({ length: 100 }, (_, i) => s.set(`key:${String(i).padStart(3, '0')}`, { i })));
    const fresh = fileStorage(dir);
    const keys = await fresh.list('key:');
    expect(keys).toHaveLength(100);
    for (let i = 0; i < 100; i++) expect(await fresh.get(`key:${String(i).padStart(3, '0')}`)).toEqual({ i });
  });

  it('concurrent sets and deletes apply in call order', async () => {
    const s = fileStorage(dir);
    await s.set('gone', 1);
    await Promise.all([s.set('a', 1), s.delete('gone'), s.set('a', 2), s.set('b', 1), s.delete('b')]);
    const fresh = fileStorage(dir);
    expect(await fresh.list('')).toEqual(['a']);
    expect(await fresh.get('a')).toBe(2);
  });

  it('two instances (as two processes would) writing at once never drop each other\'s keys', async () => {
    const x = fileStorage(dir);
    const y = fileStorage(dir);
    await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => x.set(`x:${String(i).padStart(2, '0')}`, i)),
      ...Array.from({ length: 30 }, (_, i) => y.set(`y:${String(i).padStart(2, '0')}`, i)),
    ]);
    const fresh = fileStorage(dir);
    expect(await fresh.list('x:')).toHaveLength(30);
    expect(await fresh.list('y:')).toHaveLength(30);
    expect(await readdir(dir)).toEqual([STORE_FILE]);
  });

  it('a lock file left by a crashed process is taken over once stale', async () => {
    await mkdir(dir, { recursive: true });
    const lock = join(dir, `.${STORE_FILE}.lock`);
    await writeFile(lock, '99999\n');
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    await fileStorage(dir).set('k', 1);
    expect(await fileStorage(dir).get('k')).toBe(1);
    expect(await readdir(dir)).toEqual([STORE_FILE]);
  });

  it('writes the store file with mode 0600 (it holds secret keys)', async () => {
    await fileStorage(dir).set('k', 'v');
    expect((await stat(join(dir, STORE_FILE))).mode & 0o777).toBe(0o600);
  });

  it('replaces a store file with looser permissions by a 0600 one on the next write', async () => {
    await writeFile(join(dir, STORE_FILE), JSON.stringify({ format: 'anchorsync-store/v1', entries: { a: 1 } }), { mode: 0o644 });
    await fileStorage(dir).set('b', 2);
    expect((await stat(join(dir, STORE_FILE))).mode & 0o777).toBe(0o600);
    expect(await fileStorage(dir).list('')).toEqual(['a', 'b']);
  });

  for (const [name, content] of [
    ['unparsable JSON', '{"format":"anchorsync-store/v1","entries":{"a":'],
    ['an empty file', ''],
    ['JSON of another format', '{"hello":"world"}'],
    ['entries that are not an object', '{"format":"anchorsync-store/v1","entries":[1,2]}'],
  ] as const) {
    it(`refuses a corrupt store (${name}) with ERR_STORAGE_CORRUPT and never overwrites it`, async () => {
      const path = join(dir, STORE_FILE);
      await writeFile(path, content);
      const before = await readFile(path);
      const s = fileStorage(dir);
      await expectCode(s.get('a'), 'ERR_STORAGE_CORRUPT');
      await expectCode(s.list(''), 'ERR_STORAGE_CORRUPT');
      await expectCode(s.set('a', 1), 'ERR_STORAGE_CORRUPT');
      await expectCode(s.delete('a'), 'ERR_STORAGE_CORRUPT');
      expect(await readFile(path)).toEqual(before);
      expect(await readdir(dir)).toEqual([STORE_FILE]);
    });
  }

  it('a failed write leaves the store as it was and removes its temp file', async () => {
    const s = fileStorage(dir);
    await s.set('a', 1);
    // A folder squatting on the store path makes the rename fail.
    const blocked = join(dir, 'blocked');
    await mkdir(join(blocked, STORE_FILE), { recursive: true });
    const b = fileStorage(blocked);
    await expect(b.set('x', 1)).rejects.toThrow();
    expect(await readdir(blocked)).toEqual([STORE_FILE]);
    expect(await s.get('a')).toBe(1);
  });
});
