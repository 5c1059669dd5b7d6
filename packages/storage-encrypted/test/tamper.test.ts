// Every value is authenticated and bound to its key name: whatever the
// storage provider does to what it holds, a read either returns exactly what
// was written there or refuses with a typed error, and the refusal changes
// nothing stored. Malformed envelopes: ERR_STORAGE_CORRUPT; well-formed ones
// that fail authentication: ERR_STORAGE_TAMPERED.
import { b64uToBytes, bytesToB64u, type JsonValue } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { describe, expect, it } from 'vitest';
import { encryptedStorage } from '../src/index.ts';
import { dump, expectCode, onlyNewKey, testKey } from './helpers.ts';

interface Envelope {
  v: number;
  n: string;
  c: string;
}

async function setup() {
  const inner = memoryStorage();
  const storage = encryptedStorage(inner, { key: await testKey(1) });
  let before = await dump(inner);
  await storage.set('fed:anchors:prod:org-a', { anchors: ['a'] });
  const a = await onlyNewKey(inner, before);
  before = await dump(inner);
  await storage.set('fed:anchors:prod:org-b', { anchors: ['b'] });
  const b = await onlyNewKey(inner, before);
  return { inner, storage, a, b, envA: (await inner.get(a)) as unknown as Envelope, envB: (await inner.get(b)) as unknown as Envelope };
}

/** A read of `name` refuses with `code`, and the refusal leaves the inner store byte-identical. */
async function refused(s: Awaited<ReturnType<typeof setup>>, name: string, code: string) {
  const before = await dump(s.inner);
  await expectCode(s.storage.get(name), code);
  expect(await dump(s.inner)).toEqual(before);
}

describe('tampering with stored values', () => {
  it('stores only { v: 2, n, c } envelopes (a 12-byte IV, a 16-byte tag), and reads back exactly what was written', async () => {
    const s = await setup();
    expect(Object.keys(s.envA).sort()).toEqual(['c', 'n', 'v']);
    expect(s.envA.v).toBe(2);
    expect(b64uToBytes(s.envA.n)).toHaveLength(12);
    // AES-GCM: the ciphertext is as long as the plaintext `{"k":"fed:anchors:prod:org-a","v":{"anchors":["a"]}}`, plus the tag.
    expect(b64uToBytes(s.envA.c)).toHaveLength('{"k":"fed:anchors:prod:org-a","v":{"anchors":["a"]}}'.length + 16);
    expect(await s.storage.get('fed:anchors:prod:org-a')).toEqual({ anchors: ['a'] });
  });

  it('values swapped between two keys are refused at both keys (the name is bound)', async () => {
    const s = await setup();
    await s.inner.set(s.a, s.envB as unknown as JsonValue);
    await s.inner.set(s.b, s.envA as unknown as JsonValue);
    await refused(s, 'fed:anchors:prod:org-a', 'ERR_STORAGE_TAMPERED');
    await refused(s, 'fed:anchors:prod:org-b', 'ERR_STORAGE_TAMPERED');
  });

  it('a value copied to another key is refused there, and the original still reads', async () => {
    const s = await setup();
    await s.inner.set(s.b, s.envA as unknown as JsonValue);
    await refused(s, 'fed:anchors:prod:org-b', 'ERR_STORAGE_TAMPERED');
    expect(await s.storage.get('fed:anchors:prod:org-a')).toEqual({ anchors: ['a'] });
  });

  it('a ciphertext truncated by any number of bytes is refused', async () => {
    const s = await setup();
    const full = b64uToBytes(s.envA.c)!;
    for (let length = 0; length < full.length; length++) {
      await s.inner.set(s.a, { ...s.envA, c: bytesToB64u(full.subarray(0, length)) });
      await refused(s, 'fed:anchors:prod:org-a', 'ERR_STORAGE_TAMPERED');
    }
  });

  it('every single-bit flip in the IV, the ciphertext and the tag is refused', async () => {
    const s = await setup();
    const nonce = b64uToBytes(s.envA.n)!;
    const body = b64uToBytes(s.envA.c)!;
    const variants: Envelope[] = [];
    for (let bit = 0; bit < nonce.length * 8; bit++) {
      const n = nonce.slice();
      n[bit >> 3]! ^= 1 << (bit & 7);
      variants.push({ ...s.envA, n: bytesToB64u(n) });
    }
    // The last 16 bytes of `c` are the GCM tag.
    for (let bit = 0; bit < body.length * 8; bit++) {
      const c = body.slice();
      c[bit >> 3]! ^= 1 << (bit & 7);
      variants.push({ ...s.envA, c: bytesToB64u(c) });
    }
    expect(variants.length).toBe((12 + body.length) * 8);
    for (const v of variants) {
      await s.inner.set(s.a, v as unknown as JsonValue);
      await expectCode(s.storage.get('fed:anchors:prod:org-a'), 'ERR_STORAGE_TAMPERED');
    }
  });

  it('another key sees an empty store, and our envelope put under its names is refused', async () => {
    const s = await setup();
    const wrong = encryptedStorage(s.inner, { key: await testKey(9) });
    expect(await wrong.get('fed:anchors:prod:org-a')).toBeUndefined();
    expect(await wrong.list('')).toEqual([]);
    const before = await dump(s.inner);
    await wrong.set('fed:anchors:prod:org-a', 'placeholder');
    const wrongName = await onlyNewKey(s.inner, before);
    await s.inner.set(wrongName, s.envA as unknown as JsonValue);
    await expectCode(wrong.get('fed:anchors:prod:org-a'), 'ERR_STORAGE_TAMPERED');
    await expectCode(encryptedStorage(s.inner, { key: await testKey(9) }).list('fed:'), 'ERR_STORAGE_TAMPERED');
  });

  it('the right names key with a wrong values key finds the envelope and refuses it with ERR_STORAGE_TAMPERED, changing nothing', async () => {
    const s = await setup();
    const mixed = encryptedStorage(s.inner, { key: { values: (await testKey(9)).values, names: (await testKey(1)).names } });
    const before = await dump(s.inner);
    const error = await expectCode(mixed.get('fed:anchors:prod:org-a'), 'ERR_STORAGE_TAMPERED');
    expect(error.details).toEqual({ innerKey: s.a });
    await expectCode(mixed.list('fed:'), 'ERR_STORAGE_TAMPERED');
    expect(await dump(s.inner)).toEqual(before);
  });

  it('a record of format 1 (XChaCha20-Poly1305, a 24-byte nonce) is refused as ERR_STORAGE_CORRUPT, naming its version', async () => {
    const s = await setup();
    const v1 = { v: 1, n: bytesToB64u(new Uint8Array(24).fill(7)), c: bytesToB64u(new Uint8Array(60).fill(9)) };
    await s.inner.set(s.a, v1);
    const before = await dump(s.inner);
    const error = await expectCode(s.storage.get('fed:anchors:prod:org-a'), 'ERR_STORAGE_CORRUPT');
    expect(error.message).toContain('not a v2 envelope (v: 1)');
    expect(await dump(s.inner)).toEqual(before);
    // The same v1 body relabelled v2 is still refused: its 24-byte nonce is no 12-byte IV.
    await s.inner.set(s.a, { ...v1, v: 2 });
    await refused(s, 'fed:anchors:prod:org-a', 'ERR_STORAGE_CORRUPT');
  });

  it('an envelope of another version, or with members added or missing, is ERR_STORAGE_CORRUPT', async () => {
    const s = await setup();
    const { v: _v, ...withoutV } = s.envA;
    for (const bad of [{ ...s.envA, v: 1 }, { ...s.envA, v: 3 }, { ...s.envA, v: '2' }, { ...s.envA, extra: 1 }, withoutV, { v: 2, n: s.envA.n }]) {
      await s.inner.set(s.a, bad as unknown as JsonValue);
      await refused(s, 'fed:anchors:prod:org-a', 'ERR_STORAGE_CORRUPT');
    }
  });

  it('junk that is not an envelope is ERR_STORAGE_CORRUPT', async () => {
    const s = await setup();
    const junk: JsonValue[] = [
      'not json at all {',
      42,
      null,
      true,
      [],
      [s.envA.v, s.envA.n, s.envA.c],
      {},
      { v: 2, n: '!!!', c: s.envA.c },
      { v: 2, n: s.envA.n.slice(0, -4), c: s.envA.c }, // a 9-byte IV
      { v: 2, n: `${s.envA.n}AAAA`, c: s.envA.c }, // a 15-byte IV
      { v: 2, n: s.envA.n, c: `${s.envA.c}=` }, // padding is not canonical base64url
      { v: 2, n: s.envA.n, c: 42 },
    ];
    for (const value of junk) {
      await s.inner.set(s.a, value);
      await refused(s, 'fed:anchors:prod:org-a', 'ERR_STORAGE_CORRUPT');
    }
  });

  it('list reports only names it derived or authenticated: a fresh instance refuses an entry it cannot open', async () => {
    const s = await setup();
    await s.inner.set(s.b, s.envA as unknown as JsonValue);
    await expectCode(encryptedStorage(s.inner, { key: await testKey(1) }).list('fed:anchors:'), 'ERR_STORAGE_TAMPERED');
    await s.inner.set(s.b, 'junk');
    await expectCode(encryptedStorage(s.inner, { key: await testKey(1) }).list('fed:anchors:'), 'ERR_STORAGE_CORRUPT');
    // The writer knows the name behind its own inner key, so it lists it; the value is still refused.
    expect(await s.storage.list('fed:anchors:')).toEqual(['fed:anchors:prod:org-a', 'fed:anchors:prod:org-b']);
    await expectCode(s.storage.get('fed:anchors:prod:org-b'), 'ERR_STORAGE_CORRUPT');
  });
});

describe('replay of an older valid envelope at the same key', () => {
  async function replayed(options: { sessionRollbackCheck?: boolean } = {}) {
    const inner = memoryStorage();
    const storage = encryptedStorage(inner, { key: await testKey(1), ...options });
    await storage.set('fed:anchors:__state__:prod:org-a', { seq: 1 });
    const [name] = await inner.list('');
    const old = await inner.get(name!);
    await storage.set('fed:anchors:__state__:prod:org-a', { seq: 2 });
    expect(await storage.get('fed:anchors:__state__:prod:org-a')).toEqual({ seq: 2 });
    await inner.set(name!, old!);
    return { inner, storage };
  }

  it('is NOT detected by the wrapper alone: it authenticates, so the old value reads back', async () => {
    // Documented limit: without state kept outside the store, an old envelope
    // is indistinguishable from the current one. The engine's high-water
    // marks are what catch a rolled-back sync state.
    const { storage } = await replayed();
    expect(await storage.get('fed:anchors:__state__:prod:org-a')).toEqual({ seq: 1 });
  });

  it('is refused with ERR_STORAGE_ROLLBACK by the session check of the instance that saw the newer value', async () => {
    const { storage } = await replayed({ sessionRollbackCheck: true });
    await expectCode(storage.get('fed:anchors:__state__:prod:org-a'), 'ERR_STORAGE_ROLLBACK');
  });

  it('is NOT detected by a fresh instance (a restart): the session check remembers nothing across restarts', async () => {
    const { inner } = await replayed({ sessionRollbackCheck: true });
    const restarted = encryptedStorage(inner, { key: await testKey(1), sessionRollbackCheck: true });
    expect(await restarted.get('fed:anchors:__state__:prod:org-a')).toEqual({ seq: 1 });
  });
});
