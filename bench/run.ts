/**
 * `pnpm bench`: every benchmark, end to end, printing tables. Scripts, not
 * tests: they assert only what makes a number meaningless when false (the
 * floor writes the same bytes as the SDK, a no-change sync moves zero pack
 * bytes, every peer synced). Takes a few minutes on 2 cores.
 *
 *   node --expose-gc --import tsx bench/run.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { formatTable, measureAll } from './size.ts';
import { main as memory } from './memory.ts';
import { delta, manyPeers } from './sync-http.ts';
import { breakdown, linearity, scalingTable, stableTenK } from './verify-apply.ts';
import { heading } from './lib/stats.ts';

const started = performance.now();
const cpu = cpus();
console.log('# anchorsync benchmarks');
console.log(
  `${new Date().toISOString().slice(0, 10)}; node ${process.version} ${process.platform}/${process.arch}; ${cpu.length} x ${cpu[0]?.model.trim() ?? 'cpu'}; ` +
    `${(totalmem() / 2 ** 30).toFixed(1)} GiB; load average at start ${loadavg().map((n) => n.toFixed(2)).join(' ')}`,
);
if (!(globalThis as { gc?: unknown }).gc) console.log('(run with --expose-gc for a GC before each timed run)');

await scalingTable();
await stableTenK();
await breakdown();
await linearity();
await manyPeers();
await delta();
await memory();

heading('Bundle size (pnpm size)');
console.log(formatTable(await measureAll()));

const storageApply = fileURLToPath(new URL('./storage-apply.ts', import.meta.url));
if (existsSync(storageApply)) {
  heading('Storage apply throughput per driver (bench/storage-apply.ts)');
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', storageApply, '3'], { stdio: 'inherit' });
  if (child.status !== 0) console.log(`(storage-apply exited with ${child.status})`);
}

console.log(`\nall benchmarks: ${((performance.now() - started) / 1000).toFixed(0)} s; load average at end ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
