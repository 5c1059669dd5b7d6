/**
 * The KV driver and the engine inside workerd: a Worker bundled from
 * kv-fixtures/worker.ts (core + kvStorage, no nodejs_compat) runs the
 * conformance cases, the engine's full client scenario and the limits on its
 * own KV bindings, and answers with JSON. The stale-read scenarios run in the
 * same Worker from kv-consistency.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kvStorage, KV_MAX_VALUE_BYTES } from '@anchorsync/storage-cloudflare-kv';
import type { FullScenarioReport } from './kv-fixtures/full-scenario.ts';
import { bundleKvWorker, callWorker, startKv, type KvRuntime } from './kv-fixtures/miniflare.ts';
import { NS, ORG, statuses, storedSeq } from './kv-fixtures/federation.ts';
import { conformanceCases } from './conformance-cases.ts';

const BINDINGS = ['CONF', 'PUBLISHER', 'CLIENT', 'LIMITS'];
let runtime: KvRuntime;
const started = Date.now();

beforeAll(async () => {
  runtime = startKv(BINDINGS, await bundleKvWorker());
}, 60_000);
afterAll(async () => {
  await runtime?.dispose();
  console.info(`kv-in-worker: ${Date.now() - started} ms (bundle, workerd start, every route)`);
});

async function call<T>(route: string): Promise<T> {
  const body = await callWorker<T>(runtime, route);
  expect(body.runtime).toBe('Cloudflare-Workers');
  return body.result;
}

describe('kvStorage inside workerd', () => {
  it('every conformance case passes inside the Worker, plain and under a prefix with paged lists', async () => {
    const results = await call<{ variant: string; name: string; error?: string }[]>('/conformance');
    expect(results.filter((r) => r.error !== undefined)).toEqual([]);
    expect(results.map((r) => r.name)).toEqual([...conformanceCases, ...conformanceCases].map((c) => c.name));
  });

  it('the engine publishes, syncs over two pages, revokes, idles, refuses a replay and checks messages, all on KV in the Worker', async () => {
    const r = await call<FullScenarioReport>('/scenario');
    expect(r.first).toMatchObject({ ok: true, fromSeq: 0, toSeq: 1, pages: 1, added: 1 });
    expect(r.delta).toMatchObject({ ok: true, fromSeq: 1, toSeq: 3, pages: 2, packsApplied: 2, added: 2 });
    expect(r.revocation).toMatchObject({ ok: true, fromSeq: 3, toSeq: 4, packsApplied: 1, revoked: 1 });
    expect(r.idle).toMatchObject({ ok: true, fromSeq: 4, toSeq: 4, packsApplied: 0 });
    expect(r.replayCode).toBe('ERR_PACK_ROLLBACK');
    expect(r.replayLeftStorageUnchanged).toBe(true);
    expect(r.clientStatuses).toEqual({ root: 'ACTIVE', chat: 'REVOKED', edge: 'ACTIVE' });
    expect(r.clientStatuses).toEqual(r.publisherStatuses);
    expect(r.clientSeq).toBe(4);
    expect(r.sameHeadAsPublisher).toBe(true);
    expect(r.edgeVerdict).toEqual({ ok: true });
    expect(r.chatVerdict).toEqual({ ok: false, reason: 'REVOKED' });
    expect(r.chatKey).toEqual({ usable: false, reason: 'REVOKED' });

    // What the Worker wrote is really in KV: read it back from Node.
    const client = kvStorage(await runtime.namespace('CLIENT'));
    expect(await statuses(client)).toEqual(r.publisherStatuses);
    expect(await storedSeq(client)).toBe(4);
    expect(await kvStorage(await runtime.namespace('PUBLISHER')).list(`fed:packs:${NS}:${ORG}:`)).toHaveLength(4);
  });

  it('inside the Worker, a 513-byte key and a value over 25 MiB are refused with ERR_STORAGE_LIMIT and nothing is written; exactly 25 MiB is stored, and workerd refuses one byte more', async () => {
    const r = await call<{ key513Bytes: number; key: string; value: string; listed: string[]; readBack: number; rawOneByteMore: string; listedAfter: string[] }>('/limits');
    expect(r.key513Bytes).toBe(513);
    expect(r.key).toBe('ERR_STORAGE_LIMIT');
    expect(r.value).toBe('ERR_STORAGE_LIMIT');
    expect(r.listed).toEqual([]);
    expect(r.readBack).toBe(KV_MAX_VALUE_BYTES);
    expect(r.rawOneByteMore).toMatch(/^Error: .*(too large|exceeds|size)/i);
    expect(r.listedAfter).toEqual(['fed:big']);
  });
});
