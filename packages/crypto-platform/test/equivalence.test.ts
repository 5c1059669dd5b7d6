/**
 * A platform CryptoProvider changes where the pack hash runs, never a
 * decision: with node:crypto (synchronous) or WebCrypto (asynchronous)
 * SHA-256, digests equal core's pure-JS ones, and valid and hostile packs
 * get the same outcome, the same error code and the same stored bytes as
 * without a provider. The Ed25519 check itself never moves (core's strict
 * verifier, tested against every vector file in test/vectors).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyAnchorPack,
  bytesToB64u,
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
import { packDigest } from '../../core/src/hash.ts';
import { nodeCryptoProvider, platformCrypto, webCryptoProvider } from '../src/node.ts';

const node = nodeCryptoProvider()!;
const web = webCryptoProvider()!;
const PROVIDERS: [string, CryptoProvider][] = [
  ['node:crypto', node],
  ['WebCrypto', web],
];
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('pack digests through a provider', () => {
  it('FIPS 180-4 / NIST CAVP SHA-256 answers, pure JS and through each provider', async () => {
    const known: [string, string][] = [
      ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
      ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
      ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
    ];
    for (const [text, digest] of known) {
      const bytes = new TextEncoder().encode(text);
      expect(hex(packDigest(bytes))).toBe(digest);
      for (const [, provider] of PROVIDERS) expect(hex(await packDigest(bytes, provider))).toBe(digest);
    }
  });

  it('node:crypto and WebCrypto give the pure-JS digest on random inputs (0 to 3,000 bytes, and one of 2.3 MB)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (bytes) => {
        const want = hex(packDigest(bytes));
        expect(hex(packDigest(bytes, node) as Uint8Array)).toBe(want);
        expect(hex(await packDigest(bytes, web))).toBe(want);
      }),
      { numRuns: 300, seed: 256 },
    );
    const big = Uint8Array.from({ length: 2_300_000 }, (_, i) => (i * 131) & 0xff);
    expect(hex(await packDigest(big, web))).toBe(hex(packDigest(big)));
  });

  it('platformCrypto() on Node is the synchronous node:crypto provider, checked against a known answer', () => {
    const p = platformCrypto()!;
    expect(hex(p.sha256(new TextEncoder().encode('abc')) as Uint8Array).slice(0, 16)).toBe('ba7816bf8f01cfea');
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
    const broken: CryptoProvider[] = [
      {
        sha256: () => {
          throw new Error('hardware gone');
        },
      },
      { sha256: async () => Promise.reject(new Error('subtle gone')) },
    ];
    for (const crypto of broken) {
      const storage = await client('nothing', false);
      const before = await snapshot(storage);
      await expect(applyAnchorPack({ storage, clock: () => T0 + 20, crypto }, BASE)).rejects.toSatisfy((e) => isAnchorSyncError(e, 'ERR_INVALID_ARGUMENT'));
      expect(await snapshot(storage)).toEqual(before);
    }
  });

  it('a provider returning a wrong-sized or wrong-typed digest (sync or async) is refused the same way', async () => {
    const bad: CryptoProvider[] = [
      { sha256: () => new Uint8Array(31) },
      { sha256: async () => new Uint8Array(33) },
      { sha256: () => Array.from({ length: 32 }, () => 0) as unknown as Uint8Array },
    ];
    for (const crypto of bad) {
      const storage = await client('nothing', false);
      const before = await snapshot(storage);
      await expect(applyAnchorPack({ storage, clock: () => T0 + 20, crypto }, BASE)).rejects.toSatisfy((e) => isAnchorSyncError(e, 'ERR_INVALID_ARGUMENT'));
      expect(await snapshot(storage)).toEqual(before);
    }
  });

  it('the provider is really used: it hashes the signing bytes exactly once per pack, however many signatures are checked', async () => {
    const calls: number[] = [];
    const counting: CryptoProvider = { sha256: (d) => (calls.push(d.length), node.sha256(d)) };
    const storage = await client('nothing', true);
    await applyAnchorPack({ storage, clock: () => T0 + 20, crypto: counting, threshold: 2 }, BASE);
    expect(calls).toEqual([packSigningBytes(BASE).length]);
  });

  it('a provider answering zeros makes its own run refuse the pack, and pure-JS verification afterwards is unaffected', async () => {
    const trusted = [{ kid: 'root', pubB64u: pub(ROOT), source: 'pinned' as const }];
    await expect(verifyAnchorPackAsync(BASE, { trusted, crypto: { sha256: () => new Uint8Array(32) } })).rejects.toSatisfy((e) => isAnchorSyncError(e, 'ERR_PACK_SIGNATURE'));
    expect(verifyAnchorPack(BASE, { trusted }).signedBy).toEqual([pub(ROOT)]);
    expect(verifyAnchorPack(signAnchorPack({ ...BASE, sig: [] }, [{ kid: 'root', secretKey: ROOT }]), { trusted }).signedBy).toHaveLength(1);
  });

  it('verifyAnchorPack refuses a provider (it is synchronous); verifyAnchorPackAsync takes sync and async ones alike, with the same hash', async () => {
    const trusted = [{ kid: 'root', pubB64u: pub(ROOT), source: 'pinned' as const }];
    expect(() => verifyAnchorPack(BASE, { trusted, crypto: node } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    for (const [, crypto] of PROVIDERS) {
      const verified = await verifyAnchorPackAsync(BASE, { trusted, crypto });
      expect(verified.signedBy).toEqual([pub(ROOT)]);
      expect(verified.hash).toBe(packHash(BASE));
    }
    await expect(verifyAnchorPackAsync({ ...BASE, seq: 9 }, { trusted, crypto: web })).rejects.toSatisfy((e) => isAnchorSyncError(e, 'ERR_PACK_SIGNATURE'));
  });
});
