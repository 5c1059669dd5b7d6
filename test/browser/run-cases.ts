/**
 * Runs the shared StorageDriver conformance cases and the IndexedDB cases
 * against `idbStorage`, and the conformance cases again through
 * `encryptedStorage(idbStorage())`, wherever it is loaded (a window or a worker), each
 * case on a database of its own, and returns plain results a test can read.
 */
import { encryptedStorage } from '@anchorsync/storage-encrypted';
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

export async function runAllCases(tag: string): Promise<CaseResult[]> {
  let n = 0;
  const fresh = () => `anchorsync-${tag}-${++n}`;
  const results: CaseResult[] = [];
  for (const c of conformanceCases) results.push(await timed('conformance', c.name, () => c.run(() => idbStorage({ dbName: fresh() }), {})));
  for (const c of idbCases) results.push(await timed('idb', c.name, () => c.run(fresh)));
  // The same conformance cases through the encrypting wrapper, on real IndexedDB.
  const key = new Uint8Array(32).fill(42);
  for (const c of conformanceCases) {
    results.push(await timed('encrypted', c.name, () => c.run(() => encryptedStorage(idbStorage({ dbName: fresh() }), { key }), {})));
  }
  return results;
}
