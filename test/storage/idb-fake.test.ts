// idbStorage in Node over fake-indexeddb, an in-memory IndexedDB that follows
// the spec's key ordering and versionchange rules. idb-keyval reaches for the
// global `indexedDB`, so `fake-indexeddb/auto` installs it (and IDBKeyRange)
// before anything runs. The same cases run on real IndexedDB in Chromium:
// test/browser/idb-chromium.test.ts.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { idbStorage } from '@anchorsync/storage-idb';
import { idbCases, rejectsWith } from '../browser/idb-cases.ts';
import { describeStorageConformance } from './conformance.ts';

let n = 0;
const freshDbName = () => `anchorsync-fake-${++n}`;

describeStorageConformance('idb (fake-indexeddb)', () => idbStorage({ dbName: freshDbName() }));

describe('idbStorage on fake-indexeddb', () => {
  for (const c of idbCases) it(c.name, () => c.run(freshDbName));

  it('the defaults are database "anchorsync" and store "kv"', async () => {
    await idbStorage().set('fed:default', 1);
    expect(await idbStorage({ dbName: 'anchorsync', storeName: 'kv' }).get('fed:default')).toBe(1);
  });

  it('without IndexedDB, building the driver works and the first call fails with ERR_STORAGE', async () => {
    const real = globalThis.indexedDB;
    // @ts-expect-error -- a runtime with no IndexedDB at all (Node, a locked-down embed)
    delete globalThis.indexedDB;
    try {
      const s = idbStorage({ dbName: freshDbName() });
      const e = await rejectsWith(s.get('fed:k'), 'ERR_STORAGE', 'no indexedDB');
      expect(e.cause).toBeInstanceOf(ReferenceError);
      expect(e.details).toMatchObject({ op: 'get', error: 'ReferenceError' });
    } finally {
      globalThis.indexedDB = real;
    }
  });
});
