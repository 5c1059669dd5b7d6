/**
 * Printing: human lines or one JSON document on stdout, error lines on
 * stderr, and plain aligned tables.
 */
import type { Output } from './command.ts';

export interface Streams {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Makes the Output a command prints through. */
export function makeOutput(streams: Streams, json: boolean): Output {
  return {
    json,
    line(text) {
      if (!json) streams.stdout(text + '\n');
    },
    result(value) {
      // One line: the result can be read line by line (`serve` prints it first, then runs).
      if (json) streams.stdout(JSON.stringify(value) + '\n');
    },
    error(code, message) {
      streams.stderr(`anchorsync: ${code}: ${message.replace(/\s*[\r\n]+\s*/g, ' ')}\n`);
    },
  };
}

/**
 * Left-aligned columns separated by two spaces; trailing spaces trimmed.
 *
 * @example
 * ```ts
 * table([['kid', 'status'], ['k1', 'ACTIVE']]) // 'kid  status\nk1   ACTIVE'
 * ```
 */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
