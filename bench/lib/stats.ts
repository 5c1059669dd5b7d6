/**
 * Timing and table helpers for the benchmarks: every figure is the median,
 * minimum and maximum of repeated runs in this one process, each run after
 * a full GC (when node runs with --expose-gc) so a collection left over
 * from the previous run is not charged to the next.
 */
import { performance } from 'node:perf_hooks';

export interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

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
