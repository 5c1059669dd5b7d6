/**
 * The StorageDriver conformance suite on Cloudflare KV inside real workerd
 * (Miniflare): every operation of the driver runs against workerd's KV, with
 * every default option (the 1 s same-key write spacing included). The
 * prefixed, paged-list variant runs inside a Worker (kv-in-worker.test.ts).
 */
import { afterAll, beforeAll } from 'vitest';
import { kvStorage, type KVNamespaceLike } from '@anchorsync/storage-cloudflare-kv';
import { describeStorageConformance } from './conformance.ts';
import { clearNamespace, startKv, type KvRuntime } from './kv-fixtures/miniflare.ts';

let runtime: KvRuntime;
let anchors: KVNamespaceLike;
const started = Date.now();

beforeAll(async () => {
  runtime = startKv(['ANCHORS']);
  anchors = await runtime.namespace('ANCHORS');
});
afterAll(async () => {
  await runtime.dispose();
  console.info(`kv-miniflare: ${Date.now() - started} ms`);
});

// A fresh store per case: the one namespace is emptied first.
describeStorageConformance('Cloudflare KV (workerd)', async () => {
  await clearNamespace(anchors);
  return kvStorage(anchors);
});
