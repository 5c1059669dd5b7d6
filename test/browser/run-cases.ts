/**
 * Runs the shared StorageDriver conformance cases and the IndexedDB cases
 * against `idbStorage`, and the conformance cases again through
 * `encryptedStorage(idbStorage())` with a non-extractable key that made the
 * round trip through IndexedDB, wherever it is loaded (a window or a worker),
 * each case on a database of its own, and returns plain results a test can read.
 */
import { encryptedStorage, type EncryptedStorageKey } from '@anchorsync/storage-encrypted';
import { generateEncryptedStorageKey } from '@anchorsync/storage-encrypted/keys';
import { idbStorage } from '@anchorsync/storage-idb';
import { conformanceCases } from '../storage/conformance-cases.ts';
import { idbCases } from './idb-cases.ts';

export interface CaseResult {
  suite: 'conformance' | 'idb' | 'encrypted';
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
}

async function timed(suite: CaseResult['suite'], name: string, work: () => Promise<void>): Promise<CaseResult> {
  const start = performance.now();
  try {
    await work();
    return { suite, name, ok: true, ms: Math.round(performance.now() - start) };
  } catch (e) {
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return { suite, name, ok: false, error, ms: Math.round(performance.now() - start) };
  }
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** `value` written to a database of its own and read back: what a page reloaded tomorrow would get. */
async function throughIndexedDb<T>(dbName: string, value: T): Promise<T> {
  const open = indexedDB.open(dbName, 1);
  open.onupgradeneeded = () => open.result.createObjectStore('keys');
  const db = await request(open);
  try {
    await request(db.transaction('keys', 'readwrite').objectStore('keys').put(value, 'key'));
    return (await request(db.transaction('keys').objectStore('keys').get('key'))) as T;
  } finally {
    db.close();
  }
}

/** A non-extractable key as an app keeps it: generated, stored in IndexedDB, read back (a structured clone). */
async function keptKey(dbName: string): Promise<EncryptedStorageKey> {
  const made = await generateEncryptedStorageKey();
  const kept = await throughIndexedDb(dbName, made);
  if (kept === made || kept.values.extractable || kept.names.extractable) throw new Error('the key did not come back from IndexedDB as a non-extractable copy');
  return kept;
}

export async function runAllCases(tag: string): Promise<CaseResult[]> {
  let n = 0;
  const fresh = () => `anchorsync-${tag}-${++n}`;
  const results: CaseResult[] = [];
  for (const c of conformanceCases) results.push(await timed('conformance', c.name, () => c.run(() => idbStorage({ dbName: fresh() }), {})));
  for (const c of idbCases) results.push(await timed('idb', c.name, () => c.run(fresh)));
  // The same conformance cases through the encrypting wrapper, on real IndexedDB.
  const key = await keptKey(fresh());
  for (const c of conformanceCases) {
    results.push(await timed('encrypted', c.name, () => c.run(() => encryptedStorage(idbStorage({ dbName: fresh() }), { key }), {})));
  }
  return results;
}
