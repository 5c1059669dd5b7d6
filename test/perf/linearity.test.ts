/**
 * No step of verify + apply is quadratic in anchors or peers (issue 6):
 * validation with its duplicate-kid check, the lifecycle merge, and sync
 * planning cost about the same per item at 1,000 and at 64,000 items. A
 * quadratic step would cost 64 times more per item at the larger size; the
 * bound here is 8, loose enough for a busy machine. Also: the merge's
 * skip-the-sort shortcut returns exactly what sorting would.
 */
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToB64u, mergeAnchors, planAnchorSync, setSyncState, validatePack, type Anchor } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';

const T = '2026-01-01T00:00:00.000Z';
const key = (i: number): string => bytesToB64u(Uint8Array.from({ length: 32 }, (_, j) => (i * 7 + j * 13) & 0xff));
const anchors = (n: number, status: Anchor['status'] = 'ACTIVE'): Anchor[] =>
  Array.from({ length: n }, (_, i) => ({ orgId: 'org-a', kid: `k-${String(i).padStart(6, '0')}`, pubB64u: key(i), status, createdAt: T, updatedAt: T }));
const pack = (n: number) => ({ v: 1, ns: 'prod', orgId: 'org-a', seq: 1, issuedAt: T, expiresAt: '2026-02-01T00:00:00.000Z', anchors: anchors(n), sig: [] });

/** Fastest of a few runs, per item, in microseconds. */
async function perItem(n: number, run: () => unknown): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    await run();
    best = Math.min(best, performance.now() - start);
  }
  return (best * 1000) / n;
}

const SMALL = 1_000;
const LARGE = 64_000;

describe('linear cost', () => {
  it('validatePack (schema, base64url, timestamps, duplicate kids) costs about the same per anchor at 1,000 and 64,000', async () => {
    const small = pack(SMALL);
    const large = pack(LARGE);
    const a = await perItem(SMALL, () => validatePack(small));
    const b = await perItem(LARGE, () => validatePack(large));
    expect(b / a).toBeLessThan(8);
  });

  it('mergeAnchors (every kid checked and moved ACTIVE -> RETIRED) costs about the same per anchor at 1,000 and 64,000', async () => {
    const run = (n: number) => {
      const stored = anchors(n);
      const next = anchors(n, 'RETIRED').reverse(); // out of order: the sort runs too
      return () => mergeAnchors(stored, next, false);
    };
    const a = await perItem(SMALL, run(SMALL));
    const b = await perItem(LARGE, run(LARGE));
    expect(b / a).toBeLessThan(8);
  });

  it('planAnchorSync costs about the same per peer at 1,000 and 16,000 peers', async () => {
    const setup = async (peers: number) => {
      const storage = memoryStorage();
      const refs: { ns: string; orgId: string }[] = [];
      for (let i = 0; i < peers; i++) {
        refs.push({ ns: 'prod', orgId: `peer-${i}` });
        if (i % 2 === 0) {
          await setSyncState(storage, { ns: 'prod', orgId: `peer-${i}`, seq: 1, hash: key(i), issuedAt: T, expiresAt: '2026-02-01T00:00:00.000Z', lastSyncAt: T });
        }
      }
      return () => planAnchorSync(storage, refs, { clock: () => Date.parse(T) });
    };
    const a = await perItem(1_000, await setup(1_000));
    const b = await perItem(16_000, await setup(16_000));
    expect(b / a).toBeLessThan(8);
  });
});

describe('mergeAnchors ordering', () => {
  it('returns anchors sorted by kid whatever order they arrive in, with the shortcut giving what a sort gives', () => {
    const kid = fc.stringMatching(/^[a-z0-9]{1,4}$/);
    fc.assert(
      fc.property(fc.uniqueArray(kid, { maxLength: 40 }), fc.uniqueArray(kid, { maxLength: 40 }), (storedKids, incomingKids) => {
        const make = (k: string): Anchor => ({ orgId: 'org-a', kid: k, pubB64u: key(k.length), status: 'ACTIVE', createdAt: T, updatedAt: T });
        const stored = storedKids.map(make).sort((x, y) => (x.kid < y.kid ? -1 : x.kid > y.kid ? 1 : 0));
        const incoming = incomingKids.map((k) => ({ ...make(k), pubB64u: stored.find((s) => s.kid === k)?.pubB64u ?? key(k.length) }));
        const merged = mergeAnchors(stored, incoming, false).anchors.map((a) => a.kid);
        const expected = [...new Set([...storedKids, ...incomingKids])].sort();
        expect(merged).toEqual(expected);
      }),
      { numRuns: 500, seed: 11 },
    );
  });
});
