/**
 * The page the Chromium test loads. It puts `anchorsyncIdb` on the window;
 * the test calls its functions and reads the results it keeps there.
 */
import { isAnchorSyncError, type JsonValue } from '@anchorsync/core';
import { idbStorage } from '@anchorsync/storage-idb';
import { runAllCases, type CaseResult } from './run-cases.ts';

/** How a write went, in a form that crosses from the page to the test. */
export type WriteOutcome = { ok: true } | { ok: false; code: string; causeName: string | undefined; detailsError: unknown };

/** Random text: Chromium compresses IndexedDB values, so repeated text would fit any quota. */
function incompressible(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  let out = '';
  for (const b of bytes) out += alphabet[b & 63];
  return out;
}

const api = {
  results: {} as { window?: CaseResult[]; worker?: CaseResult[] },
  async runInWindow(): Promise<CaseResult[]> {
    return (api.results.window = await runAllCases('window'));
  },
  runInWorker(): Promise<CaseResult[]> {
    return new Promise((resolve, reject) => {
      const worker = new Worker('/idb-worker.js', { type: 'module' });
      worker.onmessage = (event: MessageEvent<CaseResult[]>) => {
        worker.terminate();
        resolve((api.results.worker = event.data));
      };
      worker.onerror = (event) => reject(new Error(`worker failed: ${event.message}`));
    });
  },
  write: (dbName: string, key: string, value: JsonValue) => idbStorage({ dbName }).set(key, value),
  read: (dbName: string, key: string) => idbStorage({ dbName }).get(key),
  /** Writes `bytes` of random text under `key` and reports how it went. */
  async writeRandom(dbName: string, key: string, bytes: number): Promise<WriteOutcome> {
    try {
      await idbStorage({ dbName }).set(key, incompressible(bytes));
      return { ok: true };
    } catch (e) {
      if (!isAnchorSyncError(e)) throw e;
      return { ok: false, code: e.code, causeName: (e.cause as { name?: string } | undefined)?.name, detailsError: e.details?.error };
    }
  },
};

declare global {
  var anchorsyncIdb: typeof api;
}
globalThis.anchorsyncIdb = api;
