/**
 * A platform CryptoProvider changes where the hashing runs, never a
 * decision: with node:crypto (synchronous) or WebCrypto (asynchronous)
 * hashing, every Ed25519 vector in test/vectors (Wycheproof, RFC 8032,
 * speccheck, CCTV) gets the answer core's pure-JS verifier gives, pack hashes
 * are the same, and hostile packs get the same outcome, the same error code
 * and the same stored bytes as without a provider.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyAnchorPack,
  bytesToB64u,
  ed25519Verify,
  isAnchorSyncError,
  packHash,
  packSigningBytes,
  pinTrustAnchor,
  publicKeyOf,
  signAnchorPack,
  verifyAnchorPack,
  verifyAnchorPackAsync,
  type Anchor,
  type AnchorPack,
  type CryptoProvider,
  type StorageDriver,
} from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { verifyWithProvider } from '../../core/src/crypto-provider.ts';
import { hashB64u } from '../../core/src/hash.ts';
import { nodeCryptoProvider, platformCrypto, webCryptoProvider } from '../src/node.ts';

const node = nodeCryptoProvider()!;
const web = webCryptoProvider()!;
const PROVIDERS: [string, CryptoProvider][] = [
  ['node:crypto', node],
  ['WebCrypto', web],
];

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));
const vectorFile = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../../../test/vectors/data/ed25519/${name}`, import.meta.url), 'utf8')) as T;

interface Vector {
  name: string;
  sig: Uint8Array;
  msg: Uint8Array;
  pub: Uint8Array;
}

function allVectors(): Vector[] {
  const out: Vector[] = [];
  const wp = vectorFile<{ testGroups: { publicKey: { pk: string }; tests: { tcId: number; msg: string; sig: string }[] }[] }>('wycheproof_ed25519_test.json');
  for (const g of wp.testGroups) for (const t of g.tests) out.push({ name: `wycheproof ${t.tcId}`, sig: hex(t.sig), msg: hex(t.msg), pub: hex(g.publicKey.pk) });
  for (const v of vectorFile<{ vectors: { name: string; publicKey: string; message: string; signature: string }[] }>('rfc8032_7_1.json').vectors) {
    out.push({ name: `rfc8032 ${v.name}`, sig: hex(v.signature), msg: hex(v.message), pub: hex(v.publicKey) });
  }
  vectorFile<{ message: string; pub_key: string; signature: string }[]>('speccheck_cases.json').forEach((v, i) =>
    out.push({ name: `speccheck ${i}`, sig: hex(v.signature), msg: hex(v.message), pub: hex(v.pub_key) }),
  );
  for (const v of vectorFile<{ number: number; key: string; sig: string; msg: string }[]>('cctv_ed25519vectors.json')) {
    out.push({ name: `cctv ${v.number}`, sig: hex(v.sig), msg: new TextEncoder().encode(v.msg), pub: hex(v.key) });
  }
  return out;
}

describe('Ed25519 decisions through a provider', () => {
  const vectors = allVectors();

  it('covers every vector file (151 Wycheproof, 5 RFC 8032, 12 speccheck, 914 CCTV)', () => {
    expect(vectors).toHaveLength(151 + 5 + 12 + 914);
    // Both answers occur, so agreement is not trivially "always false".
    const answers = new Set(vectors.map((v) => ed25519Verify(v.sig, v.msg, v.pub)));
    expect(answers).toEqual(new Set([true, false]));
  });

  for (const [name, provider] of PROVIDERS) {
    it(`${name}: every vector gets the pure-JS answer`, async () => {
      const wrong: string[] = [];
      for (const v of vectors) {
        const want = ed25519Verify(v.sig, v.msg, v.pub);
        const got = await verifyWithProvider(provider, v.sig, v.msg, v.pub);
        if (got !== want) wrong.push(`${v.name}: expected ${want}, got ${got}`);
      }
      expect(wrong).toEqual([]);
    });
  }

  it('wrong lengths answer false without calling the provider, as ed25519Verify does', async () => {
    let calls = 0;
    const counting: CryptoProvider = { sha512: (d) => (calls++, node.sha512(d)) };
    const v = vectors[0]!;
    expect(await verifyWithProvider(counting, v.sig.subarray(0, 63), v.msg, v.pub)).toBe(false);
    expect(await verifyWithProvider(counting, v.sig, v.msg, v.pub.subarray(1))).toBe(false);
    expect(calls).toBe(0);
  });
});

describe('pack hashes through a provider', () => {
  it('SHA-512/256 from node:crypto gives the pure-JS pack hash; WebCrypto, having none, leaves it in JS', async () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        expect(hashB64u(bytes, node)).toBe(hashB64u(bytes));
      }),
      { numRuns: 300, seed: 256 },
    );
    expect(web.sha512_256).toBeUndefined();
    expect(hashB64u(new Uint8Array(5), web)).toBe(hashB64u(new Uint8Array(5)));
  });

  it('platformCrypto() on Node is node:crypto with both hashes, checked against known answers', () => {
    const p = platformCrypto()!;
    expect(typeof p.sha512).toBe('function');
    expect(typeof p.sha512_256).toBe('function');
    expect(Buffer.from(p.sha512(new TextEncoder().encode('abc')) as Uint8Array).toString('hex').slice(0, 16)).toBe('ddaf35a193617aba');
  });

  it('webCryptoProvider() is undefined where there is no crypto.subtle', () => {
    expect(webCryptoProvider({} as never)).toBeUndefined();
  });
});

// ------------------------------------------------------------ packs

const NS = 'prod';
const ORG = 'org-a';
const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const seed = (i: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, j) => (i * 131 + j * 7 + 1) & 0xff);
const ROOT = seed(1);
const SECOND = seed(2);
const STRANGER = seed(3);
const pub = (secret: Uint8Array): string => bytesToB64u(publicKeyOf(secret));

function anchorsOf(n: number, status: Anchor['status'] = 'ACTIVE', at = iso(T0 - 1000)): Anchor[] {
  return Array.from({ length: n }, (_, i) => ({ orgId: ORG, kid: `k${i}`, pubB64u: bytesToB64u(seed(100 + i)), status, createdAt: iso(T0 - 1000), updatedAt: at }));
}

const BASE = signAnchorPack({ v: 1, ns: NS, orgId: ORG, seq: 1, issuedAt: iso(T0), expiresAt: iso(T0 + 86_400_000), anchors: anchorsOf(20) }, [
  { kid: 'root', secretKey: ROOT },
  { kid: 'second', secretKey: SECOND },
]);
const DELTA = signAnchorPack(
  { v: 1, ns: NS, orgId: ORG, seq: 2, issuedAt: iso(T0 + 1), expiresAt: iso(T0 + 86_400_000), prev: packHash(BASE), anchors: anchorsOf(3, 'REVOKED', iso(T0)) },
  [{ kid: 'root', secretKey: ROOT }],
);

async function snapshot(storage: StorageDriver): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of await storage.list('')) out[key] = await storage.get(key);
  return out;
}

/** What the client already accepted. */
type Held = 'nothing' | 'base' | 'delta';

/** A client that pinned the root (and `second` for threshold 2) and accepted the packs `held` says. */
async function client(held: Held, pinSecond: boolean): Promise<StorageDriver> {
  const storage = memoryStorage();
  await pinTrustAnchor(storage, { ns: NS, orgId: ORG, kid: 'root', pubB64u: pub(ROOT) }, { clock: () => T0 });
  if (pinSecond) await pinTrustAnchor(storage, { ns: NS, orgId: ORG, kid: 'second', pubB64u: pub(SECOND) }, { clock: () => T0 });
  if (held !== 'nothing') await applyAnchorPack({ storage, clock: () => T0 + 10 }, BASE);
  if (held === 'delta') await applyAnchorPack({ storage, clock: () => T0 + 10 }, DELTA);
  return storage;
}

interface Outcome {
  result: string;
  stored: Record<string, unknown>;
}

async function deliver(value: unknown, held: Held, threshold: 1 | 2, crypto?: CryptoProvider): Promise<Outcome> {
  const storage = await client(held, threshold === 2);
  let result: string;
  try {
    const o = await applyAnchorPack({ storage, clock: () => T0 + 20, threshold, ...(crypto ? { crypto } : {}) }, structuredClone(value));
    result = `${o.status} ${o.seq} ${o.hash} ${JSON.stringify(o.counts)}`;
  } catch (e) {
    if (!isAnchorSyncError(e)) throw e;
    result = e.code;
  }
  return { result, stored: await snapshot(storage) };
}

async function expectSameDecisions(value: unknown, held: Held, threshold: 1 | 2): Promise<string> {
  const reference = await deliver(value, held, threshold);
  for (const [name, provider] of PROVIDERS) {
    const got = await deliver(value, held, threshold, provider);
    expect(got.result, name).toBe(reference.result);
    expect(got.stored, name).toEqual(reference.stored);
  }
  return reference.result;
}

/** The 64-byte signature with S replaced by S + L (the same value mod L, a non-canonical encoding). */
function withUnreducedS(sigB64u: string): string {
  const bytes = Uint8Array.from(Buffer.from(sigB64u, 'base64url'));
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(bytes[i]!);
  s += L;
  for (let i = 32; i < 64; i++) {
    bytes[i] = Number(s & 0xffn);
    s >>= 8n;
  }
  return bytesToB64u(bytes);
}

describe('hostile packs: the same outcome and the same stored bytes with and without a provider', () => {
  const sigOf = (p: AnchorPack, i: number) => p.sig[i]!.sig;
  const named: [string, () => unknown, Held, 1 | 2, string][] = [
    ['a valid base pack', () => BASE, 'nothing', 1, 'applied'],
    ['a valid delta', () => DELTA, 'base', 1, 'applied'],
    ['the same pack again', () => BASE, 'base', 1, 'unchanged'],
    ['an anchor changed after signing', () => ({ ...BASE, anchors: [{ ...BASE.anchors[0]!, status: 'REVOKED' }, ...BASE.anchors.slice(1)] }), 'nothing', 1, 'ERR_PACK_SIGNATURE'],
    ['signed by a key nobody pinned', () => signAnchorPack({ ...BASE, sig: [] }, [{ kid: 'root', secretKey: STRANGER }]), 'nothing', 1, 'ERR_PACK_SIGNATURE'],
    ['S + L: the same signature, non-canonical', () => ({ ...BASE, sig: [{ kid: 'root', alg: 'Ed25519', sig: withUnreducedS(sigOf(BASE, 0)) }] }), 'nothing', 1, 'ERR_PACK_SIGNATURE'],
    ['a signature of other bytes', () => ({ ...BASE, sig: [{ kid: 'root', alg: 'Ed25519', sig: sigOf(DELTA, 0) }] }), 'nothing', 1, 'ERR_PACK_SIGNATURE'],
    ['threshold 2 met by two keys', () => BASE, 'nothing', 2, 'applied'],
    ['threshold 2 with one valid signature', () => ({ ...BASE, sig: [BASE.sig[0]!, { ...BASE.sig[1]!, sig: sigOf(DELTA, 0) }] }), 'nothing', 2, 'ERR_PACK_SIGNATURE'],
    ['one key under two kids counts once', () => ({ ...BASE, sig: [BASE.sig[0]!, { ...BASE.sig[0]!, kid: 'second' }] }), 'nothing', 2, 'ERR_PACK_SIGNATURE'],
    ['a duplicate kid (signature checks never reached)', () => ({ ...BASE, anchors: [...BASE.anchors, BASE.anchors[0]!] }), 'nothing', 1, 'ERR_PACK_DUPLICATE_KID'],
    ['a rollback to the base after the delta', () => BASE, 'delta', 1, 'ERR_PACK_ROLLBACK'],
    ['an equivocating pack at the accepted seq', () => signAnchorPack({ ...BASE, sig: [], anchors: anchorsOf(19) }, [{ kid: 'root', secretKey: ROOT }]), 'base', 1, 'ERR_PACK_EQUIVOCATION'],
    ['a delta that skips a seq', () => signAnchorPack({ ...DELTA, sig: [], seq: 3 }, [{ kid: 'root', secretKey: ROOT }]), 'base', 1, 'ERR_PACK_CHAIN'],
    ['a delta to a client without the base', () => DELTA, 'nothing', 1, 'ERR_PACK_CHAIN'],
    [
      'a REVOKED key brought back',
      () => signAnchorPack({ v: 1, ns: NS, orgId: ORG, seq: 3, issuedAt: iso(T0 + 2), expiresAt: iso(T0 + 86_400_000), prev: packHash(DELTA), anchors: anchorsOf(1) }, [{ kid: 'root', secretKey: ROOT }]),
      'delta',
      1,
      'ERR_PACK_LIFECYCLE',
    ],
    ['not a pack at all', () => ({ hello: 'world' }), 'nothing', 1, 'ERR_PACK_SCHEMA'],
  ];

  it.each(named)('%s', async (_name, make, held, threshold, expected) => {
    const result = await expectSameDecisions(make(), held, threshold);
    expect(result.split(' ')[0]).toBe(expected);
  });

  it('random edits of a signed pack (any string, number or signature changed): identical decisions either way', async () => {
    const json = JSON.parse(JSON.stringify(BASE)) as Record<string, unknown>;
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]) => {
      if (typeof v === 'string' || typeof v === 'number') paths.push(path);
      else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(json, []);
    const edit = fc.tuple(fc.constantFrom(...paths), fc.nat(100), fc.constantFrom('flip', 'bump', 'swap-sigs', 'drop-sig'));
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(edit, async ([path, n, how]) => {
        const value = structuredClone(json);
        if (how === 'swap-sigs') (value.sig as unknown[]).reverse();
        else if (how === 'drop-sig') (value.sig as unknown[]).splice(n % 2, 1);
        else {
          let parent = value as Record<string | number, unknown>;
          for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
          const leaf = path[path.length - 1]!;
          const old = parent[leaf];
          if (typeof old === 'number') parent[leaf] = old + (n % 3) - 1;
          else if (typeof old === 'string' && old.length > 0) {
            const i = n % old.length;
            parent[leaf] = old.slice(0, i) + String.fromCharCode(old.charCodeAt(i) ^ (1 + (n % 3))) + old.slice(i + 1);
          }
        }
        const result = await expectSameDecisions(value, 'nothing', n % 2 === 0 ? 1 : 2);
        if (result.startsWith('applied')) accepted++;
      }),
      { numRuns: 150, seed: 25519 },
    );
    // Some edits leave the signed bytes alone (swapping or dropping a signature at threshold 1).
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('provider failures and misuse', () => {
  it('a provider that throws fails the apply loudly (ERR_INVALID_ARGUMENT), not as a bad signature, and stores nothing', async () => {
    const storage = await client('nothing', false);
    const before = await snapshot(storage);
    const broken: CryptoProvider = {
      sha512: () => {
        throw new Error('hardware gone');
      },
    };
    await expect(applyAnchorPack({ storage, clock: () => T0 + 20, crypto: broken }, BASE)).rejects.toSatisfy((e) => isAnchorSyncError(e, 'ERR_INVALID_ARGUMENT'));
    expect(await snapshot(storage)).toEqual(before);
  });

  it('a provider returning a wrong-sized digest (sync or async, SHA-512 or SHA-512/256) is refused the same way', async () => {
    const bad: CryptoProvider[] = [
      { sha512: () => new Uint8Array(63) },
      { sha512: async () => new Uint8Array(65) },
      { sha512: node.sha512, sha512_256: () => new Uint8Array(31) },
    ];
    for (const crypto of bad) {
      const storage = await client('nothing', false);
      const before = await snapshot(storage);
      await expect(applyAnchorPack({ storage, clock: () => T0 + 20, crypto }, BASE)).rejects.toSatisfy((e) => isAnchorSyncError(e, 'ERR_INVALID_ARGUMENT'));
      expect(await snapshot(storage)).toEqual(before);
    }
  });

  it('the provider is really used: its SHA-512 hashes the signing bytes once per signature tried, its SHA-512/256 the pack once', async () => {
    const calls = { sha512: 0, sha512_256: 0, bytes: 0 };
    const counting: CryptoProvider = {
      sha512: (d) => (calls.sha512++, (calls.bytes = d.length), node.sha512(d)),
      sha512_256: (d) => (calls.sha512_256++, node.sha512_256!(d)),
    };
    const storage = await client('nothing', false);
    await applyAnchorPack({ storage, clock: () => T0 + 20, crypto: counting }, BASE);
    expect(calls.sha512).toBe(1);
    expect(calls.sha512_256).toBe(1);
    expect(calls.bytes).toBe(64 + packSigningBytes(BASE).length);
  });

  it('after a provider run, pure-JS verification and signing still use core\'s own hash', async () => {
    // A provider answering zeros makes its own run fail, and must leave nothing behind.
    const sig = Uint8Array.from(Buffer.from(BASE.sig[0]!.sig, 'base64url'));
    expect(await verifyWithProvider({ sha512: () => new Uint8Array(64) }, sig, packSigningBytes(BASE), publicKeyOf(ROOT))).toBe(false);
    const trusted = [{ kid: 'root', pubB64u: pub(ROOT), source: 'pinned' as const }];
    expect(verifyAnchorPack(BASE, { trusted }).signedBy).toEqual([pub(ROOT)]);
    expect(verifyAnchorPack(signAnchorPack({ ...BASE, sig: [] }, [{ kid: 'root', secretKey: ROOT }]), { trusted }).signedBy).toHaveLength(1);
  });

  it('verifyAnchorPack refuses a provider (it is synchronous); verifyAnchorPackAsync takes sync and async ones alike', async () => {
    const trusted = [{ kid: 'root', pubB64u: pub(ROOT), source: 'pinned' as const }];
    expect(() => verifyAnchorPack(BASE, { trusted, crypto: node } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    for (const [, crypto] of PROVIDERS) expect((await verifyAnchorPackAsync(BASE, { trusted, crypto })).signedBy).toEqual([pub(ROOT)]);
    await expect(verifyAnchorPackAsync({ ...BASE, seq: 9 }, { trusted, crypto: web })).rejects.toSatisfy((e) => isAnchorSyncError(e, 'ERR_PACK_SIGNATURE'));
  });
});
