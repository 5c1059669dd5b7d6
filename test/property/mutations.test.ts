/**
 * Property: a valid signed pack changed in any way that changes its signed
 * content is never accepted. `applyAnchorPack` rejects it with an
 * AnchorSyncError (never another throw) and leaves the client storage exactly
 * as it was.
 *
 * Mutations are random edits of the pack's JSON at any depth (replace, remove,
 * add members, flip a character, shift numbers and timestamps, change status,
 * kid, orgId, ns, prev, seq, duplicate / drop / reorder anchors, splice members
 * from the other pack, and the `sig` array: reorder, duplicate, drop, swap
 * values, change alg, replace a signature by one over other bytes or by an
 * untrusted key). One to three of them are applied in a row.
 *
 * Classification (independent of the engine):
 * - the canonical JSON of everything but `sig` changed  -> must be rejected;
 * - only `sig` changed (or only object key order)      -> the signed bytes are the
 *   same, so the pack is a legitimate copy exactly when every signature entry is
 *   well formed and at least `threshold` distinct pinned keys still carry their
 *   original signature; then it must be accepted with the same result as the
 *   original, otherwise rejected.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AnchorSyncError,
  PACK_DOMAIN,
  addSigner,
  applyAnchorPack,
  canonicalJson,
  ed25519Sign,
  isAnchorSyncError,
  packDigest,
  packSignatureMessage,
  packSigningBytes,
  pinTrustAnchor,
  publishAnchorPack,
  retireSigner,
  revokeSigner,
  utf8,
  bytesToB64u,
  type AnchorPack,
  type JsonValue,
  type StorageDriver,
} from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { NS, ORG, T0, TTL_MS, canon, clone, dumpObject, dumpStorage, isPlainObject, manualClock, pubOf, restoreStorage, seedKey } from './arbitraries.ts';

const NUM_RUNS = 500;

// ---------------------------------------------------------------- fixtures

/** Signers of the publisher: index = key seed. 99 is a key nobody trusts. */
const KEY = { root: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5 } as const;
const STRANGER = seedKey(99);

interface Trust {
  name: string;
  pinned: (keyof typeof KEY)[];
  threshold: number;
}
const TRUSTS: Trust[] = [
  { name: 'root@1', pinned: ['root'], threshold: 1 },
  { name: 'root+k5@1', pinned: ['root', 'k5'], threshold: 1 },
  { name: 'root+k5@2', pinned: ['root', 'k5'], threshold: 2 },
];

interface Case {
  /** Client storage before the delivery, and after delivering the original pack. */
  pre: Map<string, string>;
  post: Map<string, string>;
  status: 'applied' | 'unchanged';
}

let base: AnchorPack;
let delta: AnchorPack;
const CLIENT_NOW = T0 + 10 * 86_400_000;
const clientClock = () => CLIENT_NOW;
/** cases[target][trust][state] */
const cases = new Map<string, Case>();

async function client(trust: Trust, packs: AnchorPack[]): Promise<StorageDriver> {
  const storage = memoryStorage();
  for (const kid of trust.pinned) await pinTrustAnchor(storage, { ns: NS, orgId: ORG, kid, pubB64u: pubOf(seedKey(KEY[kid])) }, { clock: clientClock });
  for (const p of packs) await applyAnchorPack({ storage, clock: clientClock, threshold: trust.threshold }, clone(p));
  return storage;
}

beforeAll(async () => {
  const publisher = memoryStorage();
  const time = manualClock(T0);
  const clock = time.clock;
  for (const kid of ['root', 'k1', 'k2', 'k3', 'k5'] as const) {
    await addSigner(publisher, { kid, secretKey: seedKey(KEY[kid]), clock });
    time.advance(1000);
  }
  await retireSigner(publisher, 'k2', { clock });
  time.advance(1000);
  await revokeSigner(publisher, 'k3', { clock });
  time.advance(60_000);
  base = clone((await publishAnchorPack({ storage: publisher, ns: NS, orgId: ORG, clock, ttlMs: TTL_MS })).pack);
  time.advance(3_600_000);
  await addSigner(publisher, { kid: 'k4', secretKey: seedKey(KEY.k4), clock });
  time.advance(1000);
  await retireSigner(publisher, 'k1', { clock });
  await revokeSigner(publisher, 'k2', { clock });
  time.advance(60_000);
  delta = clone((await publishAnchorPack({ storage: publisher, ns: NS, orgId: ORG, clock, ttlMs: TTL_MS })).pack);

  // The fixtures are what the property assumes: several anchors, several signatures, a chained delta.
  expect(base.anchors.length).toBe(5);
  expect(base.sig.map((s) => s.kid).sort()).toEqual(['k1', 'k5', 'root']);
  expect(delta.prev).toBeDefined();
  expect(delta.anchors.map((a) => `${a.kid}:${a.status}`)).toEqual(['k1:RETIRED', 'k2:REVOKED', 'k4:ACTIVE']);
  expect(delta.sig.map((s) => s.kid).sort()).toEqual(['k4', 'k5', 'root']);

  for (const trust of TRUSTS) {
    for (const [target, before] of [
      ['base', []],
      ['delta', [base]],
    ] as const) {
      const pack = target === 'base' ? base : delta;
      const fresh = await client(trust, [...before]);
      const pre = await dumpStorage(fresh);
      const outcome = await applyAnchorPack({ storage: fresh, clock: clientClock, threshold: trust.threshold }, clone(pack));
      expect(outcome.status).toBe('applied');
      const post = await dumpStorage(fresh);
      cases.set(`${target}/${trust.name}/first`, { pre, post, status: 'applied' });
      cases.set(`${target}/${trust.name}/replay`, { pre: post, post, status: 'unchanged' });
    }
  }
}, 60_000);

// ---------------------------------------------------------------- mutations

type Path = (string | number)[];

function allPaths(value: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => allPaths(v, [...at, i], out));
  else if (isPlainObject(value)) for (const k of Object.keys(value)) allPaths(value[k], [...at, k], out);
  return out;
}

function getAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const k of path) v = (v as Record<string | number, unknown>)[k];
  return v;
}

/** Sets an own member (also `__proto__`, as JSON.parse would). */
function put(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = getAt(root, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (Array.isArray(parent)) parent[key as number] = value;
  else put(parent as Record<string, unknown>, key as string, value);
  return root;
}

function removeAt(root: unknown, path: Path): unknown {
  if (path.length === 0) return root;
  const parent = getAt(root, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete (parent as Record<string, unknown>)[key as string];
  return root;
}

const pick = <T>(list: readonly T[], n: number): T | undefined => (list.length === 0 ? undefined : list[n % list.length]);

const B64U = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const FLIP_CHARS = B64U + '=+/ .:\u00e9\u2010\u0000\ud800';
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const IDS = ['root', 'k1', 'k2', 'k3', 'k4', 'k5', 'org-a', 'org-b', 'prod', 'prod2', 'ORG-A', 'org-a ', 'org:a', ''];
const STATUSES = ['ACTIVE', 'RETIRED', 'REVOKED', 'active', 'Revoked', ''];
const TOP = ['v', 'ns', 'orgId', 'seq', 'issuedAt', 'expiresAt', 'prev', 'anchors', 'sig'];
const KINDS = [
  'replace',
  'remove',
  'addMember',
  'flipChar',
  'number',
  'timestamp',
  'status',
  'id',
  'pub',
  'prev',
  'seq',
  'dupAnchor',
  'dropAnchor',
  'reorderAnchors',
  'dupSig',
  'dropSig',
  'reorderSig',
  'swapSigValues',
  'foreignSig',
  'alg',
  'splice',
  'reorderKeys',
] as const;
type Kind = (typeof KINDS)[number];

interface Mutation {
  kind: Kind;
  a: number;
  b: number;
  c: number;
  key: string;
  json: JsonValue;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom(...KINDS),
  a: fc.nat(),
  b: fc.nat(),
  c: fc.nat(),
  key: fc.oneof(fc.constantFrom(...TOP, 'kid', 'alg', 'status', '__proto__', 'constructor', 'extra'), fc.string({ maxLength: 6 })),
  json: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>,
});

function pathsWhere(value: unknown, test: (v: unknown, path: Path) => boolean): Path[] {
  return allPaths(value).filter((p) => test(getAt(value, p), p));
}
const lastKey = (p: Path) => p[p.length - 1];

function b64uOf(n: number, bytes: number): string {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (n * 131 + i * 17 + 7) & 0xff;
  return bytesToB64u(out);
}

/** Applies one mutation in place (on a private copy) and returns the new root. */
function mutate(v: unknown, m: Mutation, self: AnchorPack, other: AnchorPack): unknown {
  const obj = isPlainObject(v) ? v : undefined;
  const anchors = obj && Array.isArray(obj.anchors) ? (obj.anchors as unknown[]) : undefined;
  const sigs = obj && Array.isArray(obj.sig) ? (obj.sig as unknown[]) : undefined;
  switch (m.kind) {
    case 'replace': {
      const p = pick(allPaths(v), m.a)!;
      return setAt(v, p, clone(m.json));
    }
    case 'remove': {
      const p = pick(allPaths(v).slice(1), m.a);
      return p ? removeAt(v, p) : v;
    }
    case 'addMember': {
      const p = pick(pathsWhere(v, isPlainObject), m.a);
      if (p) put(getAt(v, p) as Record<string, unknown>, m.key, clone(m.json));
      return v;
    }
    case 'flipChar': {
      const p = pick(pathsWhere(v, (x) => typeof x === 'string'), m.a);
      if (!p) return v;
      const s = getAt(v, p) as string;
      const i = s.length === 0 ? 0 : m.b % s.length;
      let ch = FLIP_CHARS[m.c % FLIP_CHARS.length]!;
      if (ch === s[i]) ch = FLIP_CHARS[(m.c + 1) % FLIP_CHARS.length]!;
      return setAt(v, p, s.slice(0, i) + ch + s.slice(i + 1));
    }
    case 'number': {
      const p = pick(pathsWhere(v, (x) => typeof x === 'number'), m.a);
      if (!p) return v;
      const x = getAt(v, p) as number;
      const options = [x + 1, x - 1, 0, -x, x + 0.5, 2 ** 53, Number.MAX_SAFE_INTEGER, String(x), 1e21, x * 1000];
      return setAt(v, p, pick(options, m.b));
    }
    case 'timestamp': {
      const p = pick(pathsWhere(v, (x) => typeof x === 'string' && TIMESTAMP.test(x)), m.a);
      if (!p) return v;
      const s = getAt(v, p) as string;
      const shift = (1 + (m.c % (2 * 86_400_000))) * (m.c % 2 === 0 ? 1 : -1);
      const options = [
        new Date(Date.parse(s) + shift).toISOString(),
        s.replace(/\.\d{3}Z$/, 'Z'),
        s.replace(/Z$/, '+00:00'),
        s.toLowerCase(),
        other.issuedAt === s ? other.expiresAt : other.issuedAt,
        new Date(Date.parse(s) + 1).toISOString(),
      ];
      return setAt(v, p, pick(options, m.b));
    }
    case 'status': {
      const p = pick(pathsWhere(v, (_, path) => lastKey(path) === 'status'), m.a);
      if (!p) return v;
      let next = pick(STATUSES, m.b)!;
      if (next === getAt(v, p)) next = pick(STATUSES, m.b + 1)!;
      return setAt(v, p, next);
    }
    case 'id': {
      const p = pick(pathsWhere(v, (_, path) => ['kid', 'orgId', 'ns'].includes(String(lastKey(path)))), m.a);
      if (!p) return v;
      let next = pick(IDS, m.b)!;
      if (next === getAt(v, p)) next = pick(IDS, m.b + 1)!;
      return setAt(v, p, next);
    }
    case 'pub': {
      const p = pick(pathsWhere(v, (_, path) => lastKey(path) === 'pubB64u'), m.a);
      if (!p) return v;
      const pubs = [0, 1, 2, 3, 4, 5, 99].map((i) => pubOf(seedKey(i))).filter((x) => x !== getAt(v, p));
      return setAt(v, p, pick(pubs, m.b));
    }
    case 'prev': {
      if (!obj) return v;
      const options = [undefined, other.prev, self.prev, b64uOf(m.c, 32), canonPrevOf(other), b64uOf(m.c, 31), b64uOf(m.c, 33)];
      const next = pick(options, m.b);
      if (next === undefined) delete obj.prev;
      else put(obj, 'prev', next);
      return v;
    }
    case 'seq': {
      if (!obj) return v;
      const s = typeof obj.seq === 'number' ? obj.seq : 1;
      put(obj, 'seq', pick([s + 1, s - 1, s + 2, 0, 1, 2, 3, '1', 1.5, -1], m.b));
      return v;
    }
    case 'dupAnchor': {
      if (!anchors) return v;
      const source = anchors.length > 0 ? anchors : other.anchors;
      anchors.splice(m.b % (anchors.length + 1), 0, clone(pick(source, m.a)));
      return v;
    }
    case 'dropAnchor': {
      if (anchors && anchors.length > 0) anchors.splice(m.a % anchors.length, 1);
      return v;
    }
    case 'reorderAnchors':
      return reorder(v, anchors, m);
    case 'dupSig': {
      if (!sigs || sigs.length === 0) return v;
      sigs.splice(m.b % (sigs.length + 1), 0, clone(pick(sigs, m.a)));
      return v;
    }
    case 'dropSig': {
      if (sigs && sigs.length > 0) sigs.splice(m.a % sigs.length, 1);
      return v;
    }
    case 'reorderSig':
      return reorder(v, sigs, m);
    case 'swapSigValues': {
      if (!sigs || sigs.length < 2) return v;
      const i = m.a % sigs.length;
      const j = (i + 1 + (m.b % (sigs.length - 1))) % sigs.length;
      const x = sigs[i];
      const y = sigs[j];
      if (isPlainObject(x) && isPlainObject(y)) [x.sig, y.sig] = [y.sig, x.sig];
      return v;
    }
    case 'foreignSig': {
      if (!sigs || sigs.length === 0) return v;
      // Half the time the pinned root's own entry, the one that matters most.
      const rootEntry = sigs.find((e) => isPlainObject(e) && e.kid === 'root');
      const entry = m.a % 2 === 0 && rootEntry ? rootEntry : pick(sigs, m.a >> 1);
      if (!isPlainObject(entry)) return v;
      const right = packSigningBytes(self);
      const { sig: _sig, ...unsigned } = self;
      const bodyText = canonicalJson(unsigned);
      const options: [Uint8Array, Uint8Array][] = [
        [packSigningBytes(other), seedKey(KEY.root)], // root, but over the other pack
        [utf8(bodyText), seedKey(KEY.root)], // root, without the domain prefix
        [utf8(PACK_DOMAIN + canonicalJson(self)), seedKey(KEY.root)], // root, over the pack including sig
        [right, STRANGER], // the right bytes, by a key nobody pinned
        [right, seedKey(KEY.k2)], // the right bytes, by a retired key
        [utf8(`anchorsync/pack/v1\n${m.key}`), seedKey(KEY.root)], // root, over other text
      ];
      const [bytes, secret] = pick(options, m.b)!;
      put(entry, 'sig', bytesToB64u(ed25519Sign(bytes, secret)));
      return v;
    }
    case 'alg': {
      const entry = sigs ? pick(sigs, m.a) : undefined;
      if (isPlainObject(entry)) put(entry, 'alg', pick(['EdDSA', 'ed25519', 'Ed448', '', 'ED25519', null], m.b));
      return v;
    }
    case 'splice': {
      if (!obj) return v;
      const key = pick(TOP, m.a)!;
      const value = (other as unknown as Record<string, unknown>)[key];
      if (value === undefined) delete obj[key];
      else put(obj, key, clone(value));
      return v;
    }
    case 'reorderKeys': {
      const p = pick(pathsWhere(v, isPlainObject), m.a);
      if (!p) return v;
      const o = getAt(v, p) as Record<string, unknown>;
      const ks = Object.keys(o);
      const r = ks.length === 0 ? 0 : m.b % ks.length;
      const rotated = m.c % 2 === 0 ? [...ks.slice(r), ...ks.slice(0, r)] : [...ks].reverse();
      const next: Record<string, unknown> = {};
      for (const k of rotated) put(next, k, o[k]);
      return setAt(v, p, next);
    }
  }
}

function canonPrevOf(p: AnchorPack): string {
  // Another well-formed 32-byte value: the prev a pack *would* carry after `p`.
  return bytesToB64u(new Uint8Array(32).map((_, i) => p.seq + i));
}

function reorder(v: unknown, list: unknown[] | undefined, m: Mutation): unknown {
  if (!list || list.length < 2) return v;
  if (m.c % 3 === 0) list.reverse();
  else {
    const i = m.a % list.length;
    const j = (i + 1 + (m.b % (list.length - 1))) % list.length;
    [list[i], list[j]] = [list[j], list[i]];
  }
  return v;
}

// ---------------------------------------------------------------- reference classifier

function bodyText(value: unknown): string | undefined {
  if (!isPlainObject(value)) return undefined;
  const rest: Record<string, unknown> = {};
  for (const k of Object.keys(value)) if (k !== 'sig') put(rest, k, value[k]);
  // undefined when not even canonicalisable (e.g. a lone surrogate): certainly not the original.
  return canonOrUndefined(rest);
}

function canonOrUndefined(value: unknown): string | undefined {
  try {
    return canon(value);
  } catch {
    return undefined;
  }
}

const ID = /^[A-Za-z0-9._~@+-]{1,128}$/;
/** 64 bytes of canonical unpadded base64url: 86 characters, the last one with its 4 spare bits zero. */
const SIG64 = /^[A-Za-z0-9_-]{85}[AQgw]$/;

function sigEntryWellFormed(e: unknown): e is { kid: string; alg: string; sig: string } {
  if (!isPlainObject(e)) return false;
  const ks = Object.keys(e).sort();
  if (ks.join(',') !== 'alg,kid,sig') return false;
  return e.alg === 'Ed25519' && typeof e.kid === 'string' && ID.test(e.kid) && typeof e.sig === 'string' && SIG64.test(e.sig);
}

/** For a value whose signed part is unchanged: would a correct verifier accept its `sig`? */
function sigStillValid(value: Record<string, unknown>, original: AnchorPack, trust: Trust): boolean {
  const sig = value.sig;
  if (!Array.isArray(sig) || sig.length > 16 || !sig.every(sigEntryWellFormed)) return false;
  const good = new Set<string>();
  for (const kid of trust.pinned) {
    const originalSig = original.sig.find((s) => s.kid === kid)?.sig;
    if (originalSig !== undefined && sig.some((e) => e.kid === kid && e.sig === originalSig)) good.add(pubOf(seedKey(KEY[kid])));
  }
  return good.size >= trust.threshold;
}

// ---------------------------------------------------------------- the property

const scenarioArb = fc.record({
  trust: fc.constantFrom(...TRUSTS),
  state: fc.constantFrom('first', 'replay'),
  mutations: fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
});

const seen: Record<string, number> = {};

async function check(target: 'base' | 'delta', scenario: { trust: Trust; state: string; mutations: Mutation[] }): Promise<void> {
  const self = target === 'base' ? base : delta;
  const other = target === 'base' ? delta : base;
  const { trust, state, mutations } = scenario;
  const c = cases.get(`${target}/${trust.name}/${state}`)!;

  let value: unknown = clone(self);
  for (const m of mutations) value = mutate(value, m, self, other);

  const bodyChanged = bodyText(value) !== bodyText(self);
  const mustAccept = !bodyChanged && sigStillValid(value as Record<string, unknown>, self, trust);
  const sameValue = canonOrUndefined(value) === canon(self);
  const label = mustAccept ? (sameValue ? 'accept:same' : 'accept:sig-only') : bodyChanged ? 'reject:body' : 'reject:sig';
  seen[label] = (seen[label] ?? 0) + 1;
  for (const m of mutations) seen[`kind:${m.kind}`] = (seen[`kind:${m.kind}`] ?? 0) + 1;
  // Sanity of the classifier itself: an unchanged value is always a legitimate copy.
  if (sameValue) expect(mustAccept).toBe(true);

  const storage = await restoreStorage(memoryStorage(), c.pre);
  let outcome: string;
  try {
    outcome = (await applyAnchorPack({ storage, clock: clientClock, threshold: trust.threshold }, value)).status;
  } catch (error) {
    if (!isAnchorSyncError(error)) throw new Error(`non-AnchorSyncError thrown: ${String(error)}`, { cause: error });
    expect(error).toBeInstanceOf(AnchorSyncError);
    expect(error.code).toMatch(/^ERR_PACK_/);
    outcome = 'rejected';
  }
  const after = dumpObject(await dumpStorage(storage));
  if (mustAccept) {
    expect(outcome, `${label}: a pack with the original signed bytes and a valid signature`).toBe(c.status);
    expect(after).toEqual(dumpObject(c.post));
  } else {
    expect(outcome, `${label}: mutated pack was accepted`).toBe('rejected');
    expect(after).toEqual(dumpObject(c.pre));
  }
}

describe('mutated packs are never accepted', () => {
  for (const target of ['base', 'delta'] as const) {
    it(`${target} pack`, { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb, (scenario) => check(target, scenario)),
        { numRuns: NUM_RUNS },
      );
    });
  }

  // Two fixed points of the classification, checked on every run whatever the generator draws.
  it('reversed anchors change the signed bytes and are rejected; a reversed sig array is not and is accepted', async () => {
    const trust = TRUSTS[0]!;
    const c = cases.get(`base/${trust.name}/first`)!;
    const reversedAnchors = { ...clone(base), anchors: clone(base.anchors).reverse() };
    const s1 = await restoreStorage(memoryStorage(), c.pre);
    await expect(applyAnchorPack({ storage: s1, clock: clientClock }, reversedAnchors)).rejects.toMatchObject({ code: 'ERR_PACK_SIGNATURE' });
    expect(dumpObject(await dumpStorage(s1))).toEqual(dumpObject(c.pre));
    const reversedSig = { ...clone(base), sig: clone(base.sig).reverse() };
    const s2 = await restoreStorage(memoryStorage(), c.pre);
    expect((await applyAnchorPack({ storage: s2, clock: clientClock }, reversedSig)).status).toBe('applied');
    expect(dumpObject(await dumpStorage(s2))).toEqual(dumpObject(c.post));
  });

  it('every class of mutation was exercised', () => {
    // Guards the generators: if one class never shows up, the property above proves little.
    for (const label of ['accept:same', 'accept:sig-only', 'reject:body', 'reject:sig']) expect(seen[label] ?? 0, label).toBeGreaterThan(0);
    for (const kind of KINDS) expect(seen[`kind:${kind}`] ?? 0, kind).toBeGreaterThan(0);
  });
});
