// encryptedStorage around kvStorage on real workerd KV (Miniflare): the
// conformance suite (a full engine sync included) through the wrapper. The
// blinded names stay far below KV's 512-byte key limit (13 + 23 bytes per
// segment), and KV itself holds no real name or value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kvStorage, type KVNamespaceLike } from '@anchorsync/storage-cloudflare-kv';
import { storageKeys } from '@anchorsync/core';
import { encryptedStorage } from '@anchorsync/storage-encrypted';
import { deriveEncryptedStorageKey } from '@anchorsync/storage-encrypted/keys';
import { describeStorageConformance } from './conformance.ts';
import { clearNamespace, startKv, type KvRuntime } from './kv-fixtures/miniflare.ts';

let runtime: KvRuntime;
let namespace: KVNamespaceLike;
const key = await deriveEncryptedStorageKey(new Uint8Array(32).fill(1));

beforeAll(async () => {
  runtime = startKv(['ENCRYPTED']);
  namespace = await runtime.namespace('ENCRYPTED');
});
afterAll(async () => {
  await runtime.dispose();
});

describeStorageConformance('encrypted(Cloudflare KV on workerd)', async () => {
  await clearNamespace(namespace);
  return encryptedStorage(kvStorage(namespace), { key });
});

describe('encrypted(KV) at rest', () => {
  it('KV holds only short blinded names and envelopes, even for the SDK\'s longest key', async () => {
    await clearNamespace(namespace);
    const storage = encryptedStorage(kvStorage(namespace), { key });
    const longest = storageKeys.evidence('ns-secret-kv', 'org-secret-kv', 9007199254740991, 'h'.repeat(43));
    await storage.set(longest, { evidence: 'org-secret-kv' });
    const raw = await namespace.list({});
    expect(raw.keys).toHaveLength(1);
    const name = raw.keys[0]!.name;
    expect(name.length).toBe(13 + 23 * longest.split(':').length);
    const text = name + ((await namespace.get(name, 'text')) ?? '');
    for (const hidden of ['ns-secret-kv', 'org-secret-kv', 'evidence', 'hhhh']) expect(text).not.toContain(hidden);
    expect(await storage.get(longest)).toEqual({ evidence: 'org-secret-kv' });
  });
});
