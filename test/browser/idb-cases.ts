/**
 * IndexedDB-specific guarantees of `idbStorage`, framework-free like the
 * shared conformance cases, so they run in Node (fake-indexeddb), in a real
 * Chromium window and in a real Chromium Web Worker. Each case gets a
 * function that returns a database name no other case uses.
 */
import { isAnchorSyncError, type AnchorSyncError, type AnchorSyncErrorCode, type JsonValue } from '@anchorsync/core';
import { idbStorage } from '@anchorsync/storage-idb';

export interface IdbCase {
  name: string;
  run(freshDbName: () => string): Promise<void>;
}

function equal(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

export async function rejectsWith(work: Promise<unknown>, code: AnchorSyncErrorCode, what: string): Promise<AnchorSyncError> {
  try {
    await work;
  } catch (e) {
    if (isAnchorSyncError(e, code)) return e;
    throw new Error(`${what}: expected ${code}, got ${String(e)}`);
  }
  throw new Error(`${what}: expected ${code}, but it resolved`);
}

async function databaseNames(): Promise<string[]> {
  return (await indexedDB.databases()).map((d) => d.name ?? '');
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error(`deleting ${name} is blocked by an open connection`));
  });
}

export const idbCases: IdbCase[] = [
  {
    name: 'list is bounded exactly by the prefix, also around \\uffff, and ordered by code unit, not code point',
    async run(fresh) {
      const s = idbStorage({ dbName: fresh() });
      const inside = ['fed:p', 'fed:p\u0000', 'fed:pa', 'fed:p😀', 'fed:p\ufffd', 'fed:p\uffff', 'fed:p\uffffz', 'fed:p\uffff\uffff'];
      for (const k of [...inside, 'fed:o\uffff', 'fed:q', 'fed:', '']) await s.set(k, k);
      // U+1F600 is stored as the surrogates D83D DE00, so by code unit it sorts before U+FFFD.
      equal(await s.list('fed:p'), inside, 'prefix fed:p');
      equal(await s.list('fed:p\uffff'), ['fed:p\uffff', 'fed:p\uffffz', 'fed:p\uffff\uffff'], 'prefix ending in \\uffff');
      equal(await s.list('fed:p\uffff\uffff'), ['fed:p\uffff\uffff'], 'prefix ending in two \\uffff');
      equal(await s.list(''), ['', 'fed:', 'fed:o\uffff', ...inside, 'fed:q'], 'empty prefix lists everything');
    },
  },
  {
    name: 'nothing opens until first use; then the database exists under the given name',
    async run(fresh) {
      const dbName = fresh();
      const s = idbStorage({ dbName });
      if ((await databaseNames()).includes(dbName)) throw new Error('the database was opened by idbStorage() alone');
      await s.get('fed:k');
      if (!(await databaseNames()).includes(dbName)) throw new Error('the database was not created on first use');
    },
  },
  {
    name: 'a new driver on the same database reads what an earlier one wrote',
    async run(fresh) {
      const dbName = fresh();
      await idbStorage({ dbName }).set('fed:k', { seq: 7 });
      equal(await idbStorage({ dbName }).get('fed:k'), { seq: 7 }, 'second driver');
      equal(await idbStorage({ dbName }).list('fed:'), ['fed:k'], 'second driver list');
    },
  },
  {
    name: 'values are kept in their JSON form, as every other driver keeps them',
    async run(fresh) {
      const s = idbStorage({ dbName: fresh() });
      await s.set('fed:k', { gone: undefined, when: new Date(0), z: -0, list: [undefined] } as unknown as JsonValue);
      const read = (await s.get('fed:k')) as { z: number };
      equal(read, { when: '1970-01-01T00:00:00.000Z', z: 0, list: [null] }, 'JSON form');
      if (!Object.is(read.z, 0)) throw new Error('-0 was kept; JSON turns it into 0');
    },
  },
  {
    name: 'a value or key that is not JSON is refused with ERR_INVALID_ARGUMENT and the stored value stays',
    async run(fresh) {
      const s = idbStorage({ dbName: fresh() });
      await s.set('fed:k', 'before');
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      for (const bad of [1n, cyclic, undefined, () => 1]) await rejectsWith(s.set('fed:k', bad as unknown as JsonValue), 'ERR_INVALID_ARGUMENT', `value ${typeof bad}`);
      await rejectsWith(s.get(7 as unknown as string), 'ERR_INVALID_ARGUMENT', 'numeric key');
      equal(await s.get('fed:k'), 'before', 'stored value');
    },
  },
  {
    name: 'deleting the database elsewhere is not blocked by an open driver, which then starts on an empty one',
    async run(fresh) {
      const dbName = fresh();
      const s = idbStorage({ dbName });
      await s.set('fed:k', 1);
      await deleteDatabase(dbName);
      equal(await s.get('fed:k'), undefined, 'after delete');
      await s.set('fed:k', 2);
      equal(await s.list('fed:'), ['fed:k'], 'writes after delete');
    },
  },
  {
    name: 'a store missing from an existing database fails with ERR_STORAGE carrying the IndexedDB error',
    async run(fresh) {
      const dbName = fresh();
      await idbStorage({ dbName, storeName: 'kv' }).set('fed:k', 1);
      const e = await rejectsWith(idbStorage({ dbName, storeName: 'other' }).get('fed:k'), 'ERR_STORAGE', 'missing store');
      equal((e.cause as { name?: string } | undefined)?.name, 'NotFoundError', 'cause');
      equal(e.details, { op: 'get', dbName, storeName: 'other', error: 'NotFoundError' }, 'details');
      equal(await idbStorage({ dbName, storeName: 'kv' }).get('fed:k'), 1, 'the existing store');
    },
  },
];
