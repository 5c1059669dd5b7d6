/**
 * webLocksLock over a minimal in-process LockManager: Node 20 has no Web
 * Locks, so this fake (exclusive, FIFO per name, recording overlaps) stands
 * in; real Web Locks across tabs are exercised in Chromium by the browser suite.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AnchorSyncError, getAnchors, getSyncState, loopbackTransport, publishAnchorPack, revokeSigner, runAnchorSync, type StorageDriver } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { webLocksLock, type LockManagerLike } from '../src/tabs.ts';
import { makePublisher, NS, rejection } from './helpers.ts';

function fakeLocks() {
  const tails = new Map<string, Promise<unknown>>();
  const held = new Set<string>();
  const state = { requests: [] as string[], overlaps: 0 };
  const locks: LockManagerLike = {
    request(name, callback) {
      state.requests.push(name);
      const run = (tails.get(name) ?? Promise.resolve()).then(async () => {
        if (held.has(name)) state.overlaps++;
        held.add(name);
        try {
          return await callback({ name, mode: 'exclusive' });
        } finally {
          held.delete(name);
        }
      });
      tails.set(name, run.catch(() => undefined));
      return run;
    },
  };
  return { locks, state };
}

/** Another tab's handle on the same database: a distinct object, so core's per-object process lock does not join them. */
function tabView(shared: StorageDriver, delayMs: number, setDelayMs = delayMs): StorageDriver {
  const wait = (ms = delayMs) => new Promise((resolve) => setTimeout(resolve, ms));
  return {
    get: async (k) => (await wait(), shared.get(k)),
    set: async (k, v) => (await wait(setDelayMs), shared.set(k, v)),
    delete: async (k) => (await wait(), shared.delete(k)),
    list: async (p) => (await wait(), shared.list(p)),
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('webLocksLock', () => {
  it('is undefined where the platform has no navigator.locks, and uses navigator.locks where it has one', async () => {
    vi.stubGlobal('navigator', undefined);
    expect(webLocksLock()).toBeUndefined();
    vi.stubGlobal('navigator', {});
    expect(webLocksLock()).toBeUndefined();
    const { locks, state } = fakeLocks();
    vi.stubGlobal('navigator', { locks });
    const lock = webLocksLock();
    expect(await lock!('anchorsync:peer:prod:org-a', async () => 42)).toBe(42);
    expect(state.requests).toEqual(['anchorsync:peer:prod:org-a']);
  });

  it("passes the task's error through unchanged, and turns a refused lock request into ERR_STORAGE", async () => {
    const { locks } = fakeLocks();
    const lock = webLocksLock({ locks })!;
    const e = await rejection(lock('n', async () => Promise.reject(new AnchorSyncError('ERR_PACK_ROLLBACK', 'old'))));
    expect(e.code).toBe('ERR_PACK_ROLLBACK');
    const refusing: LockManagerLike = { request: () => Promise.reject(new Error('SecurityError: opaque origin')) };
    let ran = false;
    const refused = await rejection(webLocksLock({ locks: refusing })!('n', async () => (ran = true)));
    expect(refused.code).toBe('ERR_STORAGE');
    expect(ran).toBe(false);
  });

  it('two tabs syncing the same peer on one store take turns under the peer lock and leave one consistent state', async () => {
    const pub = await makePublisher('org-a', 4);
    await revokeSigner(pub.storage, 'k2');
    await publishAnchorPack({ storage: pub.storage, ns: NS, orgId: 'org-a' });
    const shared = memoryStorage();
    const { pinTrustAnchor } = await import('@anchorsync/core');
    await pinTrustAnchor(shared, { ns: NS, orgId: 'org-a', kid: 'root', pubB64u: pub.pubB64u });
    const { locks, state } = fakeLocks();
    const tab = (delay: number) =>
      runAnchorSync({
        storage: tabView(shared, delay),
        transport: loopbackTransport(pub.storage, { pageSize: 1 }),
        peers: [{ ns: NS, orgId: 'org-a' }],
        lock: webLocksLock({ locks })!,
      });
    const [[a], [b]] = await Promise.all([tab(1), tab(2)]);
    expect(state.overlaps).toBe(0);
    expect(state.requests).toEqual(['anchorsync:peer:prod:org-a', 'anchorsync:peer:prod:org-a']);
    // One tab did the work; the other, going second, found it done.
    expect([a!.packsApplied, b!.packsApplied].sort()).toEqual([0, 5]);
    expect((await getSyncState(shared, NS, 'org-a'))!.seq).toBe(5);
    const anchors = await getAnchors(shared, NS, 'org-a');
    expect(anchors.map((x) => [x.kid, x.status])).toEqual([
      ['k1', 'ACTIVE'],
      ['k2', 'REVOKED'],
      ['k3', 'ACTIVE'],
      ['root', 'ACTIVE'],
    ]);
  });

  it('a slow tab applying an older pack cannot roll back a revocation a faster tab applied, when both take the Web Lock', async () => {
    // Tab A reads from a mirror that has only pack 1 and writes slowly; tab B reads pack 2 (k1 revoked) and is fast.
    const pub = await makePublisher('org-a', 2);
    const mirror = memoryStorage();
    for (const key of await pub.storage.list('fed:')) await mirror.set(key, (await pub.storage.get(key))!);
    await revokeSigner(pub.storage, 'k1');
    await publishAnchorPack({ storage: pub.storage, ns: NS, orgId: 'org-a' });
    const shared = memoryStorage();
    const { pinTrustAnchor } = await import('@anchorsync/core');
    await pinTrustAnchor(shared, { ns: NS, orgId: 'org-a', kid: 'root', pubB64u: pub.pubB64u });
    const { locks, state } = fakeLocks();
    const lock = webLocksLock({ locks })!;
    const peers = [{ ns: NS, orgId: 'org-a' }];
    const slow = runAnchorSync({ storage: tabView(shared, 0, 20), transport: loopbackTransport(mirror), peers, lock });
    const fast = runAnchorSync({ storage: tabView(shared, 0, 0), transport: loopbackTransport(pub.storage), peers, lock });
    const [[a], [b]] = await Promise.all([slow, fast]);
    expect(a).toMatchObject({ ok: true, toSeq: 2 });
    expect(b).toMatchObject({ ok: true, toSeq: 3 });
    expect(state.overlaps).toBe(0);
    expect((await getSyncState(shared, NS, 'org-a'))!.seq).toBe(3);
    expect((await getAnchors(shared, NS, 'org-a')).find((x) => x.kid === 'k1')!.status).toBe('REVOKED');
  });
});
