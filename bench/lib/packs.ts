/**
 * Deterministic packs for the benchmarks: organisations with a root key
 * made from a seed, anchors with well-formed (not on-curve: the engine
 * checks their encoding, not their math) keys, base and delta packs signed
 * through the SDK.
 */
import { bytesToB64u, packHash, publicKeyOf, signAnchorPack, type Anchor, type AnchorPack, type AnchorStatus } from '@anchorsync/core';

export const NS = 'bench';
export const T0 = Date.parse('2026-03-01T12:00:00.000Z');
export const iso = (ms: number): string => new Date(ms).toISOString();

export interface BenchOrg {
  orgId: string;
  secretKey: Uint8Array;
  pubB64u: string;
}

/** 32 deterministic bytes from a seed (xorshift). */
export function seedBytes(seed: number, length = 32): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed + 1) * 2654435761;
  for (let i = 0; i < length; i++) {
    x = (x ^ (x << 13) ^ (x >>> 17) ^ (x << 5)) >>> 0;
    out[i] = x & 0xff;
  }
  return out;
}

export function makeOrg(index: number): BenchOrg {
  const secretKey = seedBytes(1_000_000 + index);
  return { orgId: `org-${String(index).padStart(5, '0')}`, secretKey, pubB64u: bytesToB64u(publicKeyOf(secretKey)) };
}

/**
 * `n` anchors of `org`, kids `key-000000`..., created at distinct times over
 * the past year (every timestamp text differs, as in a real log); every
 * tenth one REVOKED some days after it was created.
 */
export function makeAnchors(org: BenchOrg, n: number): Anchor[] {
  const anchors: Anchor[] = [];
  const year = 365 * 86_400_000;
  for (let i = 0; i < n; i++) {
    const created = T0 - year + Math.floor((i * year) / Math.max(n, 1)) + (i % 1000);
    const status: AnchorStatus = i % 10 === 9 ? 'REVOKED' : 'ACTIVE';
    const updated = status === 'REVOKED' ? Math.min(created + 3 * 86_400_000 + i, T0 - 1) : created;
    anchors.push({ orgId: org.orgId, kid: `key-${String(i).padStart(6, '0')}`, pubB64u: bytesToB64u(seedBytes(i)), status, createdAt: iso(created), updatedAt: iso(updated) });
  }
  return anchors;
}

/** A base pack (no prev) listing `anchors`, signed by the org's root. */
export function basePack(org: BenchOrg, anchors: Anchor[], seq = 1): AnchorPack {
  return signAnchorPack(
    { v: 1, ns: NS, orgId: org.orgId, seq, issuedAt: iso(T0), expiresAt: iso(T0 + 30 * 86_400_000), anchors },
    [{ kid: 'root', secretKey: org.secretKey }],
  );
}

/** The next pack after `prev`: the first `k` ACTIVE anchors of `current` retired. Returns it and the new full list. */
export function retireDelta(org: BenchOrg, prev: AnchorPack, current: Anchor[], k: number): { pack: AnchorPack; anchors: Anchor[] } {
  const at = iso(T0 + prev.seq * 1000);
  const changed: Anchor[] = [];
  const anchors = current.map((a) => {
    if (changed.length < k && a.status === 'ACTIVE') {
      const next: Anchor = { ...a, status: 'RETIRED', updatedAt: at };
      changed.push(next);
      return next;
    }
    return a;
  });
  if (changed.length < k) throw new Error(`only ${changed.length} ACTIVE anchors left to retire`);
  const pack = signAnchorPack(
    { v: 1, ns: NS, orgId: org.orgId, seq: prev.seq + 1, issuedAt: at, expiresAt: iso(T0 + 30 * 86_400_000), prev: packHash(prev), anchors: changed },
    [{ kid: 'root', secretKey: org.secretKey }],
  );
  return { pack, anchors };
}
