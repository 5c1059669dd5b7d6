/**
 * The sync engine on Cloudflare KV under eventual consistency. KV may serve a
 * key's older value for ~60 s (per key, per location) and has no
 * transactions; workerd on one machine never does that, so a lagging
 * replica wraps the real namespace (kv-fixtures/lagging-kv.ts): writes go to
 * workerd's KV, and reads of chosen keys return the value they had earlier.
 * Every scenario (kv-fixtures/stale-scenarios.ts) runs inside workerd, in the
 * Worker of kv-fixtures/worker.ts, on a namespace of its own.
 *
 * The engine stores each peer's anchors with the log position they reflect
 * ({ v: 2, seq, hash, anchors }), so anchors that lag the state are refused
 * (ERR_STORAGE_ROLLBACK, retry later) and a state that lags the anchors is
 * completed, never written back below them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleKvWorker, callWorker, startKv, type KvRuntime } from './kv-fixtures/miniflare.ts';
import type { StalePublishReport, StaleReport, TwoWorkersReport } from './kv-fixtures/stale-scenarios.ts';

let runtime: KvRuntime;
let next = 0;
const started = Date.now();

beforeAll(async () => {
  runtime = startKv(Array.from({ length: 32 }, (_, i) => `KV_${i}`), await bundleKvWorker());
}, 60_000);
afterAll(async () => {
  await runtime.dispose();
  console.info(`kv-consistency: ${Date.now() - started} ms`);
});

interface ScenarioOptions {
  readYourWrites?: boolean;
  pageSize?: number;
  failPullNumber?: number;
  highWater?: boolean;
}

type Scenario = 'staleStateReplaysRevokedKey' | 'staleStateReplaysOlderPacks' | 'staleAnchorsRead' | 'twoWorkersOneLagging' | 'stalePublisherState';

/** Runs a scenario inside workerd on a namespace no other test has touched. */
async function run<R = StaleReport>(scenario: Scenario, options: ScenarioOptions = {}): Promise<R> {
  const query = new URLSearchParams({ scenario, ns: `KV_${next++}`, options: JSON.stringify(options) });
  return (await callWorker<R>(runtime, `/stale?${query}`)).result;
}

const noRevocationUndone = (r: StaleReport) => {
  expect(r.publisherStatuses.x).toBe('REVOKED');
  expect(r.statusesAfterStale.x).toBe('REVOKED');
  expect(r.statusesFinal).toEqual(r.publisherStatuses);
};

/** Stale state reads: with or without read-your-writes, one page or many, cut off mid-sync. */
const STALE_STATE_VARIANTS: ScenarioOptions[] = [
  {},
  { pageSize: 1 },
  { readYourWrites: true },
  { readYourWrites: true, pageSize: 1 },
  { readYourWrites: true, pageSize: 1, failPullNumber: 2 },
];

describe('stale reads of the sync state (i): a revoked key is never resurrected', () => {
  it('a stale state read that replays the pack which added a since-revoked key skips it (the anchors record says it is held) and writes no state below what was accepted', async () => {
    const r = await run('staleStateReplaysRevokedKey');
    expect(r.staleReads).toBeGreaterThan(0);
    // The anchors record is at #3 while the stale state says #1: #2 is skipped, #3 only completes the state.
    expect(r.stale).toMatchObject({ ok: true, fromSeq: 1, toSeq: 3 });
    expect(r.stateSeqsWrittenDuringStale.every((seq) => seq >= r.highestAcceptedBefore)).toBe(true);
    expect(r.seqAfterStale).toBe(3);
    noRevocationUndone(r);
    expect(r.caughtUp).toMatchObject({ ok: true, fromSeq: 3, toSeq: 3, packsApplied: 0 });
    expect(r.seqFinal).toBe(3);
  });

  it('re-applying older packs over newer anchors never un-revokes, under every kind of stale state read', async () => {
    for (const options of STALE_STATE_VARIANTS) {
      const r = await run('staleStateReplaysOlderPacks', options);
      expect(r.staleReads, JSON.stringify(options)).toBeGreaterThan(0);
      noRevocationUndone(r);
    }
  });
});

describe('stale reads of the sync state (ii), without a high-water store: seqs never move backwards', () => {
  // The state read lags at #2 while KV holds #4: the anchors record says #4,
  // so #3 is skipped as held and #4 only completes the state.
  it('a stale state read never makes the engine accept, or write, a seq lower than one it accepted in this process', async () => {
    const r = await run('staleStateReplaysOlderPacks', { readYourWrites: true });
    expect(r.highestAcceptedBefore).toBe(4);
    expect(r.appliedDuringStale.filter((seq) => seq < r.highestAcceptedBefore)).toEqual([]);
    expect(r.stateSeqsWrittenDuringStale.filter((seq) => seq < r.highestAcceptedBefore)).toEqual([]);
  });

  // The same sync cut off after its first page.
  it('once the read catches up, KV never holds a lower seq than the engine had accepted', async () => {
    const r = await run('staleStateReplaysOlderPacks', { readYourWrites: true, pageSize: 1, failPullNumber: 2 });
    expect(r.stale.ok).toBe(false);
    expect(r.seqAfterStale).toBeGreaterThanOrEqual(r.highestAcceptedBefore);
  });

  // Without read-your-writes the per-page save re-reads the stale state (#2);
  // it sees the anchors record ahead of it and does not write it back.
  it('after a stale state read, the peer syncs again once the replica catches up', async () => {
    const r = await run('staleStateReplaysOlderPacks', { pageSize: 1 });
    expect(r.stateSeqsWrittenDuringStale.filter((seq) => seq < r.highestAcceptedBefore)).toEqual([]);
    expect(r.caughtUpAgain).toMatchObject({ ok: true, toSeq: 4 });
    expect(r.seqFinal).toBe(4);
  });
});

describe('stale reads of the sync state (ii), with a high-water store apart from KV', () => {
  it('every stale state read is refused with ERR_STORAGE_ROLLBACK before anything is written, and the sync completes once the replica catches up', async () => {
    const cases: [Scenario, ScenarioOptions][] = [
      ['staleStateReplaysRevokedKey', {}],
      ...STALE_STATE_VARIANTS.map((o): [Scenario, ScenarioOptions] => ['staleStateReplaysOlderPacks', o]),
    ];
    for (const [scenario, options] of cases) {
      const r = await run(scenario, { ...options, highWater: true });
      const what = `${scenario} ${JSON.stringify(options)}`;
      expect(r.stale.rejected?.code, what).toBe('ERR_STORAGE_ROLLBACK');
      expect(r.appliedDuringStale, what).toEqual([]);
      expect(r.stateSeqsWrittenDuringStale, what).toEqual([]);
      expect(r.seqAfterStale, what).toBe(r.highestAcceptedBefore);
      expect(r.caughtUp, what).toMatchObject({ ok: true, fromSeq: r.highestAcceptedBefore, toSeq: r.highestAcceptedBefore });
      noRevocationUndone(r);
    }
  });
});

describe('stale reads of the anchors record', () => {
  // The state read is fresh (#3, x revoked) but the anchors read lags (#2,
  // x ACTIVE): the record's position shows it, the pack is refused
  // (ERR_STORAGE_ROLLBACK, retry later) and nothing is merged onto old anchors.
  for (const highWater of [false, true]) {
    it(`a stale anchors read next to a fresh state read never loses a revocation (${highWater ? 'with' : 'without'} a high-water store)`, async () => {
      const r = await run('staleAnchorsRead', { highWater });
      expect(r.staleReads).toBeGreaterThan(0);
      expect(r.stale.rejected?.code).toBe('ERR_STORAGE_ROLLBACK');
      expect(r.statusesFinal).toEqual(r.publisherStatuses);
    });
  }
});

describe('two Workers syncing one peer into one namespace, with no lock between them', () => {
  it('a Worker reading a lagging snapshot can write an older view back (a revocation disappears) until the next sync, which restores every revocation', async () => {
    const r = await run<TwoWorkersReport>('twoWorkersOneLagging');
    expect(r.highestAcceptedByA).toBe(4);
    expect(r.lagging).toMatchObject({ ok: false, fromSeq: 2, toSeq: 3, rejected: { code: 'ERR_TRANSPORT' } });
    // The window KV opens: B's write of #3 over A's #4 un-revokes x in storage.
    expect(r.seqAfterLagging).toBe(3);
    expect(r.statusesAfterLagging.x).toBe('ACTIVE');
    // The state went back with the anchors, so the next sync re-applies #4.
    expect(r.next).toMatchObject({ ok: true, fromSeq: 3, toSeq: 4, revoked: 1 });
    expect(r.seqFinal).toBe(4);
    expect(r.statusesFinal).toEqual(r.publisherStatuses);
  });

  it('with one high-water store both share (a Durable Object), the lagging Worker is refused (ERR_STORAGE_ROLLBACK) and KV never holds the older view', async () => {
    const r = await run<TwoWorkersReport>('twoWorkersOneLagging', { highWater: true });
    expect(r.lagging).toMatchObject({ ok: false, fromSeq: 2, rejected: { code: 'ERR_STORAGE_ROLLBACK' } });
    expect(r.seqAfterLagging).toBe(4);
    expect(r.statusesAfterLagging).toEqual(r.publisherStatuses);
    expect(r.next).toMatchObject({ ok: true, fromSeq: 4, toSeq: 4 });
    expect(r.statusesFinal).toEqual(r.publisherStatuses);
  });
});

describe('a publisher keeping its own signers and pack log in KV', () => {
  // Its state read lags at #2 after #3 was published. Publish completes the
  // "orphan" #3 it finds in the log, then, still reading #2, signs a different
  // pack at seq 3; the pack log refuses to rewrite a logged seq with other
  // bytes (ERR_PACK_EQUIVOCATION), so #3 stays what peers already hold.
  it('a stale state read never makes a publisher overwrite a pack it already published', async () => {
    const r = await run<StalePublishReport>('stalePublisherState');
    expect(r.seq3After).toBe(r.seq3Before);
  });

  it('with read-your-writes the publish continues at #4; with a high-water store it is refused (ERR_STORAGE_ROLLBACK) before anything is signed; the log keeps #3 either way', async () => {
    const ryw = await run<StalePublishReport>('stalePublisherState', { readYourWrites: true });
    expect(ryw.published).toBe(4);
    expect(ryw.seq3After).toBe(ryw.seq3Before);
    expect(ryw.logSeqs).toEqual([1, 2, 3, 4]);
    const marked = await run<StalePublishReport>('stalePublisherState', { highWater: true });
    expect(marked.published).toBe('ERR_STORAGE_ROLLBACK');
    expect(marked.seq3After).toBe(marked.seq3Before);
    expect(marked.logSeqs).toEqual([1, 2, 3]);
  });
});
