/**
 * A module Worker that runs the KV driver's checks inside workerd, on the KV
 * bindings Miniflare gives it, and answers with JSON. Nothing runs at import
 * (workerd forbids I/O and randomness at global scope); each route does its
 * work per request. Stores come from `fastKv` (no write spacing; see fast-kv.ts).
 *   /conformance  every StorageDriver conformance case on env.CONF, plain and prefixed with paged lists
 *   /scenario     the engine's full client scenario, publisher in env.PUBLISHER, client in env.CLIENT
 *   /stale        one stale-read scenario: ?scenario=<name>&ns=<binding>&options=<JSON>
 *   /limits       oversized key and value refused, nothing written
 */
import { isAnchorSyncError, type StorageDriver } from '@anchorsync/core';
import { KV_MAX_VALUE_BYTES, type KVNamespaceLike } from '@anchorsync/storage-cloudflare-kv';
import { memoryStorage } from '@anchorsync/storage-memory';
import { conformanceCases } from '../conformance-cases.ts';
import { fastKv } from './fast-kv.ts';
import { fullScenario } from './full-scenario.ts';
import { staleAnchorsRead, stalePublisherState, staleStateReplaysOlderPacks, staleStateReplaysRevokedKey, twoWorkersOneLagging } from './stale-scenarios.ts';

/** Named bindings for the routes that use them; /stale takes any binding by name. */
interface Env {
  CONF: KVNamespaceLike;
  PUBLISHER: KVNamespaceLike;
  CLIENT: KVNamespaceLike;
  LIMITS: KVNamespaceLike;
  [binding: string]: KVNamespaceLike;
}

const scenarios = { staleStateReplaysRevokedKey, staleStateReplaysOlderPacks, staleAnchorsRead, twoWorkersOneLagging, stalePublisherState };

async function clear(ns: KVNamespaceLike): Promise<void> {
  const storage = fastKv(ns);
  for (const key of await storage.list('')) await storage.delete(key);
}

const errorCode = (e: unknown) => (isAnchorSyncError(e) ? e.code : `${(e as Error)?.name}: ${(e as Error)?.message}`);

const routes: Record<string, (env: Env, query: URLSearchParams) => Promise<unknown>> = {
  async '/conformance'(env) {
    const out: { variant: string; name: string; error?: string }[] = [];
    const variants: Record<string, () => Promise<StorageDriver>> = {
      plain: async () => fastKv(env.CONF),
      // Under a prefix, next to another tenant's keys that must stay invisible,
      // with 2 keys per KV list call so every list follows cursors over many pages.
      'prefixed, paged lists': async () => {
        const neighbour = fastKv(env.CONF, { prefix: 'tenant-a/' });
        for (const key of ['fed:k', 'fed:packs:a:org:1', 'fed:u:é', 'fed:c:00']) await neighbour.set(key, 'not yours');
        await env.CONF.put('fed:c:01', '"unprefixed"');
        return fastKv(env.CONF, { prefix: 'tenant-b/', listLimit: 2 });
      },
    };
    for (const [variant, make] of Object.entries(variants)) {
      for (const c of conformanceCases) {
        await clear(env.CONF);
        try {
          await c.run(make, {});
          out.push({ variant, name: c.name });
        } catch (e) {
          out.push({ variant, name: c.name, error: String((e as Error)?.message ?? e) });
        }
      }
    }
    return out;
  },
  '/scenario': (env) => fullScenario(fastKv(env.PUBLISHER), fastKv(env.CLIENT)),
  async '/stale'(env, query) {
    const scenario = scenarios[query.get('scenario') as keyof typeof scenarios];
    const ns = env[query.get('ns') ?? ''];
    if (!scenario || !ns) throw new Error('unknown scenario or binding');
    return scenario(ns, memoryStorage(), JSON.parse(query.get('options') ?? '{}'));
  },
  async '/limits'(env) {
    const storage = fastKv(env.LIMITS);
    const key513 = 'fed:' + 'k'.repeat(509);
    const x = (jsonBytes: number) => 'x'.repeat(jsonBytes - 2);
    const refused = {
      key513Bytes: new TextEncoder().encode(key513).length,
      key: await storage.set(key513, 1).then(() => 'written', errorCode),
      value: await storage.set('fed:big', x(KV_MAX_VALUE_BYTES + 1)).then(() => 'written', errorCode),
      listed: await storage.list(''),
    };
    // The boundary itself: exactly 25 MiB of JSON text is stored and read back,
    // and one byte more is refused by workerd's KV when called directly.
    await storage.set('fed:big', x(KV_MAX_VALUE_BYTES));
    const readBack = ((await storage.get('fed:big')) as string).length + 2;
    const rawOneByteMore = await env.LIMITS.put('fed:bigger', JSON.stringify(x(KV_MAX_VALUE_BYTES + 1))).then(() => 'written', errorCode);
    return { ...refused, readBack, rawOneByteMore, listedAfter: await storage.list('') };
  },
};

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const route = routes[url.pathname];
    if (!route) return new Response('not found', { status: 404 });
    try {
      return Response.json({ runtime: navigator.userAgent, result: await route(env, url.searchParams) });
    } catch (e) {
      return Response.json({ error: errorCode(e), stack: (e as Error)?.stack }, { status: 500 });
    }
  },
};
