// encryptedStorage around idbStorage on fake-indexeddb: the conformance suite
// (a full engine sync included) through the wrapper, and what IndexedDB
// itself holds afterwards: blinded names and envelopes only.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { idbStorage } from '@anchorsync/storage-idb';
import { encryptedStorage } from '@anchorsync/storage-encrypted';
import { deriveEncryptedStorageKey } from '@anchorsync/storage-encrypted/keys';
import { describeStorageConformance } from './conformance.ts';

let n = 0;
const freshDbName = () => `anchorsync-encrypted-${++n}`;
const key = await deriveEncryptedStorageKey(new Uint8Array(32).fill(1));

describeStorageConformance('encrypted(idb on fake-indexeddb)', () => encryptedStorage(idbStorage({ dbName: freshDbName() }), { key }));

describe('encrypted(idb) at rest', () => {
  it('IndexedDB holds only blinded names and { v, n, c } envelopes, and a fresh wrapper reads everything back', async () => {
    const dbName = freshDbName();
    const storage = encryptedStorage(idbStorage({ dbName }), { key });
    await storage.set('fed:anchors:prod:org-secret-idb', [{ kid: 'kid-secret-idb' }]);
    const raw = idbStorage({ dbName });
    const names = await raw.list('');
    expect(names).toHaveLength(1);
    const text = JSON.stringify([names, await raw.get(names[0]!)]);
    for (const hidden of ['org-secret-idb', 'kid-secret-idb', 'prod', 'anchors']) expect(text).not.toContain(hidden);
    expect(await encryptedStorage(idbStorage({ dbName }), { key }).list('fed:anchors:')).toEqual(['fed:anchors:prod:org-secret-idb']);
  });
});
