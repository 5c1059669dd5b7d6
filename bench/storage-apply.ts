/**
 * Apply throughput of one 10,000-anchor base pack on each storage driver:
 * memory, IndexedDB (fake-indexeddb in Node), Cloudflare KV (real workerd
 * through Miniflare), each also wrapped by encryptedStorage, and memory with
 * a high-water store. Every run applies the pack to a fresh store through
 * `applyAnchorPack` (validation, one signature, hashing, merge, writes) and
 * is timed alone. Not a test: it prints a table and exits.
 *
 *   node --import tsx bench/storage-apply.ts [runs]
 */
import 'fake-indexeddb/auto';
import { performance } from 'node:perf_hooks';
import { Miniflare } from 'miniflare';
import {
  applyAnchorPack,
  bytesToB64u,
  generateKeyPair,
  pinTrustAnchor,
  publicKeyOf,
  signAnchorPack,
  type Anchor,
  type AnchorPack,
  type StorageDriver,
} from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';

const ANCHORS = 10_000;
const RUNS = Math.max(1, Number(process.argv[2] ?? 5));
const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const NS = 'bench';
const ORG = 'org-bench';

/** Deterministic 32-byte strings: the engine checks their encoding, not that they are curve points. */
function fakeKey(i: number): string {
  const bytes = new Uint8Array(32);
  let x = (i + 1) * 2654435761;
  for (let j = 0; j < 32; j++) {
    x = (x ^ (x << 13) ^ (x >>> 17) ^ (x << 5)) >>> 0;
    bytes[j] = x & 0xff;
  }
  return bytesToB64u(bytes);
}

function buildPack(): { pack: AnchorPack; rootPub: string } {
  const { secretKey } = generateKeyPair();
  const rootPub = bytesToB64u(publicKeyOf(secretKey));
  const at = new Date(T0).toISOString();
  const anchors: Anchor[] = [{ orgId: ORG, kid: 'root', pubB64u: rootPub, status: 'ACTIVE', createdAt: at, updatedAt: at }];
  for (let i = 1; i < ANCHORS; i++) {
    anchors.push({ orgId: ORG, kid: `k-${String(i).padStart(5, '0')}`, pubB64u: fakeKey(i), status: i % 10 === 0 ? 'REVOKED' : 'ACTIVE', createdAt: at, updatedAt: at });
  }
  const body = { v: 1 as const, ns: NS, orgId: ORG, seq: 1, issuedAt: at, expiresAt: new Date(T0 + 7 * 86_400_000).toISOString(), anchors };
  return { pack: signAnchorPack(body, [{ kid: 'root', secretKey }]), rootPub };
}

interface Target {
  name: string;
  /** A fresh, empty store for run `i`, and its optional high-water store. */
  make(i: number): Promise<{ storage: StorageDriver; highWater?: StorageDriver }>;
}

async function measure(target: Target, pack: AnchorPack, rootPub: string): Promise<number[]> {
  const times: number[] = [];
  // Run 0 warms the JIT and the backend and is not counted.
  for (let i = 0; i <= RUNS; i++) {
    const { storage, highWater } = await target.make(i);
    await pinTrustAnchor(storage, { ns: NS, orgId: ORG, kid: 'root', pubB64u: rootPub }, { clock: () => T0 });
    const value = JSON.parse(JSON.stringify(pack)) as unknown; // as it arrives off the wire
    const start = performance.now();
    const outcome = await applyAnchorPack({ storage, clock: () => T0 + 1000, ...(highWater ? { highWater } : {}) }, value);
    const ms = performance.now() - start;
    if (outcome.status !== 'applied' || outcome.counts.added !== ANCHORS) throw new Error(`${target.name}: the pack was not applied`);
    if (i > 0) times.push(ms);
  }
  return times;
}

function row(name: string, times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  const rate = (ms: number) => Math.round(ANCHORS / (ms / 1000)).toLocaleString('en-US');
  const f = (ms: number) => ms.toFixed(0).padStart(7);
  return `${name.padEnd(34)} ${f(median)} ${f(sorted[0]!)} ${f(sorted.at(-1)!)}   ${rate(median).padStart(9)} anchors/s`;
}

async function optional<T>(specifier: string): Promise<T | undefined> {
  try {
    return (await import(specifier)) as T;
  } catch {
    console.log(`(${specifier} is not installed: skipped)`);
    return undefined;
  }
}

async function main(): Promise<void> {
  const { pack, rootPub } = buildPack();
  const bytes = JSON.stringify(pack).length;
  console.log(`apply of one base pack: ${ANCHORS.toLocaleString('en-US')} anchors, ${(bytes / 1e6).toFixed(2)} MB of JSON; ${RUNS} runs each after one warm-up (ms)`);
  console.log(`node ${process.version}, ${process.platform}/${process.arch}\n`);

  type Key = { values: CryptoKey; names: CryptoKey };
  type Encrypted = { encryptedStorage(d: StorageDriver, o: { key: Key }): StorageDriver };
  const enc = await optional<Encrypted>('@anchorsync/storage-encrypted');
  const keys = await optional<{ deriveEncryptedStorageKey(bytes: Uint8Array): Promise<Key> }>('@anchorsync/storage-encrypted/keys');
  const idb = await optional<{ idbStorage(o: { dbName: string }): StorageDriver }>('@anchorsync/storage-idb');
  const kv = await optional<{ kvStorage(ns: unknown, o: { prefix: string }): StorageDriver }>('@anchorsync/storage-cloudflare-kv');
  const key = await keys?.deriveEncryptedStorageKey(new Uint8Array(32).fill(7));
  const wrap = (s: StorageDriver) => enc!.encryptedStorage(s, { key: key! });

  const targets: Target[] = [
    { name: 'memory', make: async () => ({ storage: memoryStorage() }) },
    { name: 'memory + highWater (memory)', make: async () => ({ storage: memoryStorage(), highWater: memoryStorage() }) },
  ];
  if (enc) targets.push({ name: 'encrypted(memory)', make: async () => ({ storage: wrap(memoryStorage()) }) });
  if (idb) {
    let n = 0;
    targets.push({ name: 'idb (fake-indexeddb)', make: async () => ({ storage: idb.idbStorage({ dbName: `bench-${++n}` }) }) });
    if (enc) targets.push({ name: 'encrypted(idb (fake-indexeddb))', make: async () => ({ storage: wrap(idb.idbStorage({ dbName: `bench-${++n}` })) }) });
  }
  let mf: Miniflare | undefined;
  if (kv) {
    mf = new Miniflare({ modules: true, script: 'export default { fetch() { return new Response(null, { status: 404 }) } }', kvNamespaces: ['BENCH'], compatibilityDate: '2025-04-01' });
    const namespace = await mf.getKVNamespace('BENCH');
    let n = 0;
    // A prefix per run: a fresh store, and no write spacing between runs on one key.
    targets.push({ name: 'kv (miniflare / workerd)', make: async () => ({ storage: kv.kvStorage(namespace, { prefix: `r${++n}:` }) }) });
    if (enc) targets.push({ name: 'encrypted(kv (miniflare / workerd))', make: async () => ({ storage: wrap(kv.kvStorage(namespace, { prefix: `r${++n}:` })) }) });
  }

  console.log(`${'driver'.padEnd(34)} ${'median'.padStart(7)} ${'min'.padStart(7)} ${'max'.padStart(7)}   ${'median rate'.padStart(9)}`);
  try {
    for (const target of targets) console.log(row(target.name, await measure(target, pack, rootPub)));
  } finally {
    await mf?.dispose();
  }
}

await main();
