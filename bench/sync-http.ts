/**
 * Sync over real HTTP on 127.0.0.1: one client syncing 1,000 peer
 * organisations of 100 anchors each from a relay (transport-fetch
 * createAnchorHandler on serveNode, fetchTransport), first from an empty
 * store, then again with nothing changed. A no-change sync must move zero
 * pack bytes: every peer answers 304 with no body.
 *
 * Then a delta: a peer with 10,000 anchors changes k of them; the next
 * sync must move O(k) bytes, not O(10,000).
 */
import { runAnchorSync, type AnchorPack, type SyncResult } from '@anchorsync/core';
import { clientFor, startRelay, transportTo, type Counters, type Relay } from './lib/http.ts';
import { basePack, makeAnchors, makeOrg, NS, retireDelta, T0, type BenchOrg } from './lib/packs.ts';
import { heading, int, kb, ms, stats, table } from './lib/stats.ts';
import { performance } from 'node:perf_hooks';

const PEERS = 1_000;
const ANCHORS_PER_PEER = 100;
const CONCURRENCY = 8;

interface Measured {
  ms: number;
  counters: Counters;
  results: SyncResult[];
}

async function syncAll(relay: Relay, storage: Awaited<ReturnType<typeof clientFor>>, orgs: readonly BenchOrg[]): Promise<Measured> {
  relay.take();
  const start = performance.now();
  const results = await runAnchorSync({
    storage,
    transport: transportTo(relay),
    peers: orgs.map((o) => ({ ns: NS, orgId: o.orgId })),
    clock: () => T0 + 2000,
    force: true,
    concurrency: CONCURRENCY,
  });
  const elapsed = performance.now() - start;
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) throw new Error(`${failed.length} peers failed, first: ${JSON.stringify(failed[0]!.rejected)}`);
  return { ms: elapsed, counters: relay.take(), results };
}

export async function manyPeers(runs = 3): Promise<void> {
  heading(
    `Sync of ${int(PEERS)} peers x ${ANCHORS_PER_PEER} anchors over HTTP on 127.0.0.1 (runAnchorSync, concurrency ${CONCURRENCY}), ${runs} runs`,
    'From an empty client store, then again with no change (force: every peer is asked). Bytes are what the server sent: "pack payload" counts response bodies, "wire" everything on the sockets (status lines and headers too).',
  );
  const relay = await startRelay();
  try {
    const orgs = Array.from({ length: PEERS }, (_, i) => makeOrg(i));
    for (const org of orgs) await relay.add(org, [basePack(org, makeAnchors(org, ANCHORS_PER_PEER))]);
    const full: Measured[] = [];
    const again: Measured[] = [];
    for (let r = 0; r < runs; r++) {
      const storage = await clientFor(orgs);
      const first = await syncAll(relay, storage, orgs);
      const added = first.results.reduce((n, x) => n + x.added, 0);
      if (added !== PEERS * ANCHORS_PER_PEER) throw new Error(`expected ${PEERS * ANCHORS_PER_PEER} anchors added, got ${added}`);
      full.push(first);
      const second = await syncAll(relay, storage, orgs);
      if (second.counters.bodyBytes !== 0 || second.counters.notModified !== PEERS) {
        throw new Error(`a no-change sync moved ${second.counters.bodyBytes} pack bytes, ${second.counters.notModified} of ${PEERS} answers were 304`);
      }
      again.push(second);
    }
    const row = (name: string, list: Measured[]): string[] => {
      const t = stats(list.map((m) => m.ms));
      const c = list[0]!.counters;
      return [name, ms(t.median), ms(t.min), ms(t.max), int(c.requests), int(c.notModified), int(c.bodyBytes), kb(c.wireBytes), (t.median / PEERS).toFixed(2)];
    };
    console.log(
      table(
        ['sync', 'median ms', 'min', 'max', 'requests', '304s', 'pack payload B', 'wire KB', 'ms/peer'],
        [row('from empty', full), row('no change', again)],
      ),
    );
  } finally {
    await relay.close();
  }
}

export async function delta(runs = 5): Promise<void> {
  const N = 10_000;
  const KS = [1, 10, 100, 1_000];
  heading(
    `Delta sync: one peer of ${int(N)} anchors changes k of them (retired), the client syncs; ${runs} runs each`,
    'Each delta is the next pack in the chain (seq + 1, prev = hash of the last); the client already holds everything before it.',
  );
  const org = makeOrg(99_999);
  const base = basePack(org, makeAnchors(org, N));
  const chain: { k: number; pack: AnchorPack }[] = [];
  let current = base.anchors;
  let prev = base;
  for (const k of KS) {
    const next = retireDelta(org, prev, current, k);
    chain.push({ k, pack: next.pack });
    current = next.anchors;
    prev = next.pack;
  }
  const samples = new Map<string, { ms: number[]; counters: Counters }>();
  const record = (name: string, m: Measured) => {
    const entry = samples.get(name) ?? { ms: [], counters: m.counters };
    entry.ms.push(m.ms);
    samples.set(name, entry);
  };
  for (let r = 0; r < runs; r++) {
    const relay = await startRelay();
    try {
      await relay.add(org, [base]);
      const storage = await clientFor([org]);
      record(`initial: base pack, ${int(N)} anchors`, await syncAll(relay, storage, [org]));
      for (const { k, pack } of chain) {
        await relay.add(org, [pack]);
        const m = await syncAll(relay, storage, [org]);
        if (m.results[0]!.retired !== k) throw new Error(`delta of ${k}: ${m.results[0]!.retired} retired`);
        record(`delta: ${int(k)} of ${int(N)} changed`, m);
      }
      record('no change', await syncAll(relay, storage, [org]));
    } finally {
      await relay.close();
    }
  }
  const rows = [...samples].map(([name, { ms: list, counters: c }]) => {
    const t = stats(list);
    return [name, ms(t.median), ms(t.min), ms(t.max), int(c.bodyBytes), kb(c.wireBytes), c.bodyBytes === 0 ? '-' : Math.round(c.bodyBytes / Math.max(1, Number(/^delta: ([\d,]+)/.exec(name)?.[1]?.replace(/,/g, '') ?? N))).toString()];
  });
  console.log(table(['sync', 'median ms', 'min', 'max', 'pack payload B', 'wire KB', 'B per changed anchor'], rows));
}

export async function main(): Promise<void> {
  await manyPeers();
  await delta();
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
