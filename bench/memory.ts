/**
 * Memory for 100,000 anchors, measured in a fresh process (node
 * --expose-gc) so nothing else is on the heap: what the store holds after
 * applying one 100,000-anchor pack (memoryStorage keeps JSON text), what
 * the same anchors cost as live objects (`getAnchors`), and the peak RSS
 * growth of a process that reads, parses and applies the pack. Heap figures are process.memoryUsage()
 * after a full GC.
 *
 *   node --expose-gc --import tsx bench/memory.ts        (prints one JSON line)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyAnchorPack, getAnchors, pinTrustAnchor } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { basePack, makeAnchors, makeOrg, NS, T0 } from './lib/packs.ts';
import { heading, int, table } from './lib/stats.ts';

const N = 100_000;

interface MemoryReport {
  anchors: number;
  wireBytes: number;
  heapBaseline: number;
  heapHeldByStore: number;
  heapHeldAsObjects: number;
  rssBefore: number;
  peakRss: number;
}

function heap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** In the child: read, parse and apply the pack in `file`, then measure what stays. */
async function measure(file: string): Promise<MemoryReport> {
  const org = makeOrg(7);
  // Warm the code paths on a small pack first, so compiled code is not counted as data.
  const small = memoryStorage();
  await pinTrustAnchor(small, { ns: NS, orgId: org.orgId, kid: 'root', pubB64u: org.pubB64u }, { clock: () => T0 });
  await applyAnchorPack({ storage: small, clock: () => T0 + 1000 }, basePack(org, makeAnchors(org, 100)));
  const storage = memoryStorage();
  await pinTrustAnchor(storage, { ns: NS, orgId: org.orgId, kid: 'root', pubB64u: org.pubB64u }, { clock: () => T0 });
  const heapBaseline = heap();
  const rssBefore = process.memoryUsage().rss;
  let text: string | undefined = readFileSync(file, 'utf8');
  const wireBytes = text.length;
  let value: unknown = JSON.parse(text);
  text = undefined;
  await applyAnchorPack({ storage, clock: () => T0 + 1000 }, value);
  value = undefined;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const heapHeldByStore = heap() - heapBaseline;
  const live = await getAnchors(storage, NS, org.orgId);
  const heapHeldAsObjects = heap() - heapBaseline - heapHeldByStore;
  if (live.length !== N) throw new Error('not all anchors were stored');
  return { anchors: N, wireBytes, heapBaseline, heapHeldByStore, heapHeldAsObjects, rssBefore, peakRss };
}

/** Runs the measurement in a child process and prints the table. */
export async function main(): Promise<void> {
  heading(
    `Memory for ${int(N)} anchors held (a fresh process reads, parses and applies one pack; heap after a full GC)`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'anchorsync-bench-'));
  const file = join(dir, 'pack.json');
  let child;
  try {
    const org = makeOrg(7);
    writeFileSync(file, JSON.stringify(basePack(org, makeAnchors(org, N))));
    child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', file], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (child.status !== 0) throw new Error(`memory child failed: ${child.stderr}`);
  const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as MemoryReport;
  const mb = (n: number) => (n / 1e6).toFixed(1);
  console.log(
    table(
      ['what', 'MB', 'bytes per anchor'],
      [
        ['pack on the wire (JSON text)', mb(r.wireBytes), int(r.wireBytes / r.anchors)],
        ['held by memoryStorage after apply (JSON text)', mb(r.heapHeldByStore), int(r.heapHeldByStore / r.anchors)],
        ['the same anchors as live objects (getAnchors)', mb(r.heapHeldAsObjects), int(r.heapHeldAsObjects / r.anchors)],
        ['peak RSS growth: read + JSON.parse + applyAnchorPack', mb(r.peakRss - r.rssBefore), int((r.peakRss - r.rssBefore) / r.anchors)],
      ],
    ),
  );
}

const childAt = process.argv.indexOf('--child');
if (childAt > 0) console.log(JSON.stringify(await measure(process.argv[childAt + 1]!)));
else if (import.meta.url === `file://${process.argv[1]}`) await main();
