/**
 * Starts one Miniflare (real workerd) with in-memory KV namespaces for a test
 * file; `dispose` ends it. KV operations from Node run inside workerd, and
 * `startKvWorker` also runs kv-fixtures/worker.ts there, bundled by esbuild.
 */
import { fileURLToPath } from 'node:url';
import { bundleWorker } from '../../runtimes/worker-bundle.ts';
import { Miniflare } from 'miniflare';
import type { KVNamespaceLike } from '@anchorsync/storage-cloudflare-kv';
import { fastKv } from './fast-kv.ts';

export interface KvRuntime {
  mf: Miniflare;
  namespace(binding: string): Promise<KVNamespaceLike>;
  dispose(): Promise<void>;
}

const IDLE_WORKER = 'export default { fetch() { return new Response(null, { status: 404 }) } }';

export function startKv(bindings: readonly string[], script = IDLE_WORKER): KvRuntime {
  const mf = new Miniflare({ modules: true, script, kvNamespaces: [...bindings], compatibilityDate: '2025-04-01' });
  return {
    mf,
    namespace: (binding) => mf.getKVNamespace(binding),
    dispose: () => mf.dispose(),
  };
}

/** Deletes every key in a namespace (following list cursors). */
export async function clearNamespace(ns: KVNamespaceLike): Promise<void> {
  const storage = fastKv(ns);
  for (const key of await storage.list('')) await storage.delete(key);
}

/** Bundles kv-fixtures/worker.ts (core + kvStorage) as a module Worker, no Node built-ins. */
export function bundleKvWorker(): Promise<string> {
  return bundleWorker(fileURLToPath(new URL('./worker.ts', import.meta.url)));
}

/** A route of the KV Worker: its JSON `result`, or a thrown error carrying the Worker's. */
export async function callWorker<T>(runtime: KvRuntime, route: string): Promise<{ runtime: string; result: T }> {
  const res = await runtime.mf.dispatchFetch(`http://kv.test${route}`);
  const body = (await res.json()) as { runtime: string; result: T; error?: string; stack?: string };
  if (body.error !== undefined) throw new Error(`Worker ${route}: ${body.error}\n${body.stack ?? ''}`);
  return body;
}
