/**
 * The StorageDriver conformance cases, framework-free so the same cases run
 * under vitest in Node, inside workerd and in a real browser page. Each case
 * gets a factory for an empty store and throws on a broken guarantee.
 */
import {
  addSigner,
  canonicalJson,
  getAnchors,
  getSyncState,
  loopbackTransport,
  pinTrustAnchor,
  publishAnchorPack,
  revokeSigner,
  runAnchorSync,
  type JsonValue,
  type StorageDriver,
} from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';

export interface ConformanceOptions {
  /** Largest value the backend must round-trip, in bytes of JSON text. Default 1 MiB. */
  largeValueBytes?: number;
}

export interface ConformanceCase {
  name: string;
  run(make: () => Promise<StorageDriver> | StorageDriver, options: ConformanceOptions): Promise<void>;
}

function same(actual: unknown, expected: unknown, what: string): void {
  const a = actual === undefined ? 'undefined' : canonicalJson(actual);
  const e = expected === undefined ? 'undefined' : canonicalJson(expected);
  if (a !== e) throw new Error(`${what}: expected ${e.slice(0, 200)}, got ${a.slice(0, 200)}`);
}

function matches(actual: Record<string, unknown> | undefined, expected: Record<string, unknown>, what: string): void {
  for (const [k, v] of Object.entries(expected)) same(actual?.[k], v, `${what}.${k}`);
}

export const conformanceCases: ConformanceCase[] = [
  {
    name: 'get of a missing key is undefined; set then get returns an equal value',
    async run(make) {
      const s = await make();
      same(await s.get('fed:missing'), undefined, 'missing key');
      const value: JsonValue = { a: 1, b: [true, null, 'x'], c: { d: -0.5 } };
      await s.set('fed:k', value);
      same(await s.get('fed:k'), value, 'round trip');
    },
  },
  {
    name: 'set overwrites; delete removes; deleting a missing key is fine',
    async run(make) {
      const s = await make();
      await s.set('fed:k', 1);
      await s.set('fed:k', 2);
      same(await s.get('fed:k'), 2, 'overwritten');
      await s.delete('fed:k');
      same(await s.get('fed:k'), undefined, 'deleted');
      await s.delete('fed:k');
      same(await s.list('fed:'), [], 'list after delete');
    },
  },
  {
    name: 'values are copies: mutating what was stored or read does not change the store',
    async run(make) {
      const s = await make();
      const value = { list: [1, 2] };
      await s.set('fed:k', value);
      value.list.push(3);
      const read = (await s.get('fed:k')) as { list: number[] };
      read.list.push(4);
      same(await s.get('fed:k'), { list: [1, 2] }, 'stored value');
    },
  },
  {
    name: 'list returns exactly the keys with the prefix, sorted, and nothing across a prefix boundary',
    async run(make) {
      const s = await make();
      for (const k of ['fed:packs:a:org:2', 'fed:packs:a:org:1', 'fed:packs:a:org2:1', 'fed:packs:b:org:1', 'fed:other']) await s.set(k, k);
      same(await s.list('fed:packs:a:org:'), ['fed:packs:a:org:1', 'fed:packs:a:org:2'], 'one org');
      same((await s.list('fed:packs:')).length, 4, 'all packs');
      same(await s.list('nothing:'), [], 'no match');
    },
  },
  {
    name: 'unicode keys and values round-trip, and list sorts by code unit',
    async run(make) {
      const s = await make();
      // '\uff01' sorts after '😀' by code unit but before it by UTF-8 bytes: a driver that skips the sort fails.
      const keys = ['fed:u:é', 'fed:u:e', 'fed:u:日本', 'fed:u:😀', 'fed:u:\uff01', 'fed:u:Z'];
      for (const k of keys) await s.set(k, { k, text: 'Grüße 😀 \u2028' });
      same(await s.list('fed:u:'), [...keys].sort(), 'sorted unicode keys');
      same(await s.get('fed:u:😀'), { k: 'fed:u:😀', text: 'Grüße 😀 \u2028' }, 'unicode value');
    },
  },
  {
    name: 'a large value round-trips',
    async run(make, options) {
      const s = await make();
      const bytes = options.largeValueBytes ?? 1024 * 1024;
      const big = { blob: 'x'.repeat(bytes - 20) };
      await s.set('fed:big', big);
      same(((await s.get('fed:big')) as { blob: string }).blob.length, big.blob.length, 'large value length');
    },
  },
  {
    name: 'concurrent writes to different keys all land',
    async run(make) {
      const s = await make();
      await Promise.all(Array.from({ length: 50 }, (_, i) => s.set(`fed:c:${String(i).padStart(2, '0')}`, i)));
      const listed = await s.list('fed:c:');
      same(listed.length, 50, 'keys written');
      same(await Promise.all(listed.map((k) => s.get(k))), Array.from({ length: 50 }, (_, i) => i), 'values written');
    },
  },
  {
    name: 'the engine syncs, revokes and re-syncs on top of this driver exactly as on memory',
    async run(make) {
      const publisher = memoryStorage();
      const client = await make();
      let now = Date.parse('2026-11-25T12:00:00.000Z');
      const clock = () => (now += 1000);
      const root = await addSigner(publisher, { kid: 'root', secretKey: new Uint8Array(32).fill(7), clock });
      await addSigner(publisher, { kid: 'chat', secretKey: new Uint8Array(32).fill(8), clock });
      await publishAnchorPack({ storage: publisher, ns: 'prod', orgId: 'org-a', clock });
      await pinTrustAnchor(client, { ns: 'prod', orgId: 'org-a', kid: 'root', pubB64u: root.pubB64u }, { clock });
      const peers = [{ ns: 'prod', orgId: 'org-a' }];
      const transport = loopbackTransport(publisher, { pageSize: 1 });
      matches((await runAnchorSync({ storage: client, transport, peers, clock }))[0] as unknown as Record<string, unknown>, { ok: true, toSeq: 1, added: 2 }, 'first sync');
      await revokeSigner(publisher, 'chat', { clock });
      await publishAnchorPack({ storage: publisher, ns: 'prod', orgId: 'org-a', clock });
      matches((await runAnchorSync({ storage: client, transport, peers, clock, force: true }))[0] as unknown as Record<string, unknown>, { ok: true, toSeq: 2, revoked: 1 }, 'second sync');
      same(await getAnchors(client, 'prod', 'org-a'), await getAnchors(publisher, 'prod', 'org-a'), 'anchors');
      same((await getSyncState(client, 'prod', 'org-a'))?.hash, (await getSyncState(publisher, 'prod', 'org-a'))?.hash, 'state hash');
    },
  },
];
