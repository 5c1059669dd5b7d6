/**
 * kvStorage's limits and errors against workerd's real KV (Miniflare): the
 * driver refuses what KV would refuse, before calling KV, with a typed code,
 * and its limits are exactly workerd's. Values near 25 MiB are checked
 * inside the Worker, where they do not cross the Node-workerd proxy.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isAnchorSyncError, type JsonValue } from '@anchorsync/core';
import { kvStorage, KV_MAX_KEY_BYTES, KV_MAX_VALUE_BYTES, KV_SAME_KEY_WRITE_SPACING_MS, type KVNamespaceLike } from '@anchorsync/storage-cloudflare-kv';
import { clearNamespace, startKv, type KvRuntime } from './kv-fixtures/miniflare.ts';

let runtime: KvRuntime;
let real: KVNamespaceLike;
const started = Date.now();

beforeAll(async () => {
  runtime = startKv(['LIMITS']);
  real = await runtime.namespace('LIMITS');
});
beforeEach(() => clearNamespace(real));
afterAll(async () => {
  await runtime.dispose();
  console.info(`kv-limits: ${Date.now() - started} ms`);
});

/** The real namespace, counting the calls that reach it. */
function counted(): { ns: KVNamespaceLike; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    ns: {
      get: (key, type) => (calls.push(`get ${key.length}`), real.get(key, type)),
      put: (key, value) => (calls.push(`put ${key.length}`), real.put(key, value)),
      delete: (key) => (calls.push(`delete ${key.length}`), real.delete(key)),
      list: (options) => (calls.push('list'), real.list(options)),
    },
  };
}

async function codeOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'no error';
  } catch (e) {
    return isAnchorSyncError(e) ? e.code : `untyped: ${String(e)}`;
  }
}

const json = (bytes: number) => 'x'.repeat(bytes - 2); // JSON text of this string is `bytes` long

describe('kvStorage limits on workerd KV', () => {
  it('a key over 512 UTF-8 bytes is refused with ERR_STORAGE_LIMIT by set, get and delete before KV is called; nothing is written', async () => {
    const { ns, calls } = counted();
    const storage = kvStorage(ns);
    const ascii513 = 'fed:' + 'k'.repeat(509);
    const utf8513 = 'fed:' + '日'.repeat(169) + 'é'; // 4 + 507 + 2 bytes, only 174 code units
    for (const key of [ascii513, utf8513]) {
      expect(new TextEncoder().encode(key).length).toBe(513);
      expect(await codeOf(() => storage.set(key, 1))).toBe('ERR_STORAGE_LIMIT');
      expect(await codeOf(() => storage.get(key))).toBe('ERR_STORAGE_LIMIT');
      expect(await codeOf(() => storage.delete(key))).toBe('ERR_STORAGE_LIMIT');
    }
    expect(await codeOf(() => storage.list('p'.repeat(513)))).toBe('ERR_STORAGE_LIMIT');
    expect(await codeOf(() => kvStorage(ns, { prefix: 'p'.repeat(500) }).set('fed:0123456789', 1))).toBe('ERR_STORAGE_LIMIT');
    expect(calls).toEqual([]);
    expect(await kvStorage(real).list('')).toEqual([]);
  });

  it('a value over 25 MiB of UTF-8 is refused with ERR_STORAGE_LIMIT before KV is called, also when its UTF-16 length is under 25 Mi; nothing is written', async () => {
    const { ns, calls } = counted();
    const storage = kvStorage(ns);
    expect(await codeOf(() => storage.set('fed:big', json(KV_MAX_VALUE_BYTES + 1)))).toBe('ERR_STORAGE_LIMIT');
    const euros = '€'.repeat(Math.ceil(KV_MAX_VALUE_BYTES / 3)); // 3 bytes each in UTF-8, 1 code unit in UTF-16
    expect(euros.length).toBeLessThan(KV_MAX_VALUE_BYTES);
    expect(await codeOf(() => storage.set('fed:big', euros))).toBe('ERR_STORAGE_LIMIT');
    expect(calls).toEqual([]);
    expect(await kvStorage(real).list('')).toEqual([]);
  });

  it("the driver's key limit is workerd's: a 512-byte key is stored, listed and read back; at 513 bytes workerd's KV refuses it too", async () => {
    const storage = kvStorage(real);
    const key512 = 'fed:' + '日'.repeat(169) + 'k';
    expect(new TextEncoder().encode(key512).length).toBe(KV_MAX_KEY_BYTES);
    await storage.set(key512, 'fits');
    expect(await storage.get(key512)).toBe('fits');
    expect(await storage.list('fed:')).toEqual([key512]);
    await expect(real.put(key512 + 'k', '1')).rejects.toThrow(/512/);
    // The 25 MiB value boundary is checked the same way inside the Worker (kv-in-worker.test.ts).
  });

  it("the keys KV forbids ('', '.', '..') are refused with ERR_STORAGE_LIMIT, as workerd's KV refuses them", async () => {
    const { ns, calls } = counted();
    for (const key of ['', '.', '..']) {
      expect(await codeOf(() => kvStorage(ns).set(key, 1))).toBe('ERR_STORAGE_LIMIT');
      await expect(real.put(key, '1')).rejects.toThrow();
    }
    expect(calls).toEqual([]);
    // With a prefix the stored key is prefix + key, which KV accepts.
    await kvStorage(real, { prefix: 'tenant/' }).set('.', 1);
    expect(await real.get('tenant/.', 'text')).toBe('1');
  });
});

/** The real namespace, recording when each put reaches it. */
function timedPuts(): { ns: KVNamespaceLike; puts: { key: string; at: number }[] } {
  const puts: { key: string; at: number }[] = [];
  const ns: KVNamespaceLike = {
    get: (key, type) => real.get(key, type),
    put: (key, value) => (puts.push({ key, at: performance.now() }), real.put(key, value)),
    delete: (key) => (puts.push({ key: `delete ${key}`, at: performance.now() }), real.delete(key)),
    list: (options) => real.list(options),
  };
  return { ns, puts };
}

describe('kvStorage write spacing (KV: one write per second per key)', () => {
  it('by default two writes to one key reach KV at least 1 s apart, since KV answers faster ones with 429', async () => {
    expect(KV_SAME_KEY_WRITE_SPACING_MS).toBe(1000);
    const { ns, puts } = timedPuts();
    const storage = kvStorage(ns);
    await storage.set('fed:a', 1);
    await storage.set('fed:a', 2);
    expect(puts[1]!.at - puts[0]!.at).toBeGreaterThanOrEqual(995);
    expect(await storage.get('fed:a')).toBe(2);
  });

  it('writes to different keys never wait for each other (with 10 minutes of spacing, three keys are written at once)', async () => {
    const { ns, puts } = timedPuts();
    const storage = kvStorage(ns, { writeSpacingMs: 600_000 });
    for (const key of ['fed:a', 'fed:b', 'fed:c']) await storage.set(key, key);
    expect(puts.map((p) => p.key)).toEqual(['fed:a', 'fed:b', 'fed:c']);
    expect(await storage.list('fed:')).toEqual(['fed:a', 'fed:b', 'fed:c']);
  });

  it('deletes are spaced like writes, and concurrent writes to one key reach KV spaced and in call order', async () => {
    const { ns, puts } = timedPuts();
    const storage = kvStorage(ns, { writeSpacingMs: 150 });
    await storage.set('fed:k', 0);
    await storage.delete('fed:k');
    await Promise.all([1, 2, 3].map((n) => storage.set('fed:k', n)));
    expect(puts.map((p) => p.key)).toEqual(['fed:k', 'delete fed:k', 'fed:k', 'fed:k', 'fed:k']);
    for (let i = 1; i < puts.length; i++) expect(puts[i]!.at - puts[i - 1]!.at).toBeGreaterThanOrEqual(145);
    expect(await storage.get('fed:k')).toBe(3);
  });
});

describe('kvStorage errors on workerd KV', () => {
  it('a stored value that is not JSON text reads as ERR_STORAGE_CORRUPT', async () => {
    await real.put('fed:k', '{"truncated":');
    expect(await codeOf(() => kvStorage(real).get('fed:k'))).toBe('ERR_STORAGE_CORRUPT');
  });

  it('a KV that fails is reported as ERR_STORAGE, with the driver error as cause', async () => {
    const gone = startKv(['GONE']);
    const ns = await gone.namespace('GONE');
    const storage = kvStorage(ns);
    await gone.dispose();
    for (const run of [() => storage.get('fed:k'), () => storage.set('fed:k', 1), () => storage.delete('fed:k'), () => storage.list('fed:')]) {
      const error = await run().then(() => undefined, (e: unknown) => e);
      expect(isAnchorSyncError(error, 'ERR_STORAGE')).toBe(true);
      expect((error as Error).cause).toBeInstanceOf(Error);
    }
  });

  it("list returns code-unit order (the StorageDriver contract), not KV's UTF-8 byte order", async () => {
    const storage = kvStorage(real);
    for (const key of ['fed:\uff01', 'fed:😀', 'fed:a']) await storage.set(key, key);
    const kvOrder = (await real.list({ prefix: 'fed:' })).keys.map((k) => k.name);
    expect(kvOrder).toEqual(['fed:a', 'fed:\uff01', 'fed:😀']);
    expect(await storage.list('fed:')).toEqual(['fed:a', 'fed:😀', 'fed:\uff01']);
  });

  it('a missing binding, a bad option or a value that is not JSON is ERR_INVALID_ARGUMENT, and nothing is written', async () => {
    expect(await codeOf(async () => kvStorage(undefined as never))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(async () => kvStorage({} as never))).toBe('ERR_INVALID_ARGUMENT');
    for (const listLimit of [0, 1001, 1.5]) expect(await codeOf(async () => kvStorage(real, { listLimit }))).toBe('ERR_INVALID_ARGUMENT');
    for (const writeSpacingMs of [-1, Number.NaN, Infinity, '5' as unknown as number]) {
      expect(await codeOf(async () => kvStorage(real, { writeSpacingMs }))).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(await codeOf(async () => kvStorage(real, { prefix: 7 as unknown as string }))).toBe('ERR_INVALID_ARGUMENT');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const value of [cyclic, 10n, undefined]) {
      expect(await codeOf(() => kvStorage(real).set('fed:k', value as unknown as JsonValue))).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(await kvStorage(real).list('')).toEqual([]);
  });
});
