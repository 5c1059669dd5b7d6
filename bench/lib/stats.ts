/**
 * Timing and table helpers for the benchmarks: every figure is the median,
 * minimum and maximum of repeated runs in this one process, each run after
 * a full GC (when node runs with --expose-gc; see `gc` below) so a collection left over
 * from the previous run is not charged to the next.
 */
import { performance } from 'node:perf_hooks';

export interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/**
 * A full (major) collection, without the memory-reducing kind a bare
 * `gc()` asks for: that one also throws away optimised code, so every timed
 * run would start in the interpreter (a pure-JS SHA-256 of 20 KB measured
 * 11.7 ms right after `gc()` and 0.3 ms after `gc({ type: 'major' })`).
 */
const expose = (globalThis as { gc?: (options?: { type: 'major' | 'minor' }) => void }).gc;
const gc = expose && (() => expose({ type: 'major' }));

export function stats(samples: readonly number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, runs: s.length };
}

/**
 * Times `run` `runs` times after `warmup` untimed runs. `setup` (untimed)
 * makes a fresh input for each run.
 */
export async function time<T>(options: { runs: number; warmup?: number; setup?: () => T | Promise<T> }, run: (input: T) => unknown): Promise<Stats> {
  const samples: number[] = [];
  for (let i = 0; i < (options.warmup ?? 1) + options.runs; i++) {
    const input = (await options.setup?.()) as T;
    gc?.();
    const start = performance.now();
    await run(input);
    const ms = performance.now() - start;
    if (i >= (options.warmup ?? 1)) samples.push(ms);
  }
  return stats(samples);
}

/** One contender of `interleaved`: an untimed `setup` per run, then the timed `run`. */
export interface Contender<T = unknown> {
  name: string;
  setup?: () => T | Promise<T>;
  run: (input: T) => unknown;
}

export interface InterleavedResult {
  /** Per contender, its times. */
  stats: Stats[];
  /** Per contender, the median over rounds of (its time / the first contender's time in the same round). */
  ratio: number[];
}

/**
 * Runs every contender once per round, in an order that rotates each round,
 * for `warmup` untimed and `runs` timed rounds. On a machine whose speed
 * drifts (a shared VM, a CPU that throttles under sustained load) the
 * contenders of one round run under the same conditions, so the per-round
 * ratio to the first contender (the baseline) holds still where the raw
 * times do not.
 */
export async function interleaved(contenders: readonly Contender<any>[], options: { runs: number; warmup?: number }): Promise<InterleavedResult> {
  const samples: number[][] = contenders.map(() => []);
  const warmup = options.warmup ?? 1;
  for (let round = 0; round < warmup + options.runs; round++) {
    const times: number[] = [];
    for (let k = 0; k < contenders.length; k++) {
      const index = (k + round) % contenders.length;
      const c = contenders[index]!;
      const input = await c.setup?.();
      gc?.();
      const start = performance.now();
      await c.run(input);
      times[index] = performance.now() - start;
    }
    if (round >= warmup) times.forEach((t, i) => samples[i]!.push(t));
  }
  const base = samples[0]!;
  return {
    stats: samples.map((s) => stats(s)),
    ratio: samples.map((s) => stats(s.map((t, i) => t / base[i]!)).median),
  };
}

export const ms = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
export const kb = (bytes: number): string => (bytes / 1000).toFixed(1);
export const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/** A plain text table: first column left-aligned, the rest right-aligned. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function heading(title: string, note?: string): void {
  console.log(`\n## ${title}`);
  if (note) console.log(note);
  console.log('');
}
