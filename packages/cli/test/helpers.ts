/**
 * Test helpers: build the CLI once per test file, run the built
 * `dist/anchorsync.mjs` as a subprocess against temp folders, and start
 * `serve` processes that are always killed afterwards.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const PKG_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(PKG_DIR, 'dist', 'anchorsync.mjs');

/** Builds dist/anchorsync.mjs with build.mjs (atomic output, so parallel test files may both build). */
export function buildCli(): void {
  const r = spawnSync(process.execPath, [join(PKG_DIR, 'build.mjs')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
}

/** Working folder of CLI runs without `--dir`: a stray write lands here, never in the repo. */
const scratch = mkdtempSync(join(tmpdir(), 'anchorsync-cwd-'));

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI and waits for it; the environment has no ANCHORSYNC_DIR unless given. */
export function run(args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}): RunResult {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  if (!options.env || !('ANCHORSYNC_DIR' in options.env)) delete env.ANCHORSYNC_DIR;
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, cwd: options.cwd ?? scratch, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Like {@link run}, without blocking: for several CLI processes at once. */
export function runAsync(args: readonly string[]): Promise<RunResult> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.ANCHORSYNC_DIR;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8', env, cwd: scratch, timeout: 30_000 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      if (error && status === null) reject(error);
      else resolve({ status, stdout, stderr });
    });
  });
}

/** Runs the CLI with `--json` and returns the parsed stdout, expecting exit 0. */
export function runJson<T = any>(args: readonly string[]): T {
  const r = run([...args, '--json']);
  expect(r.stderr, `stderr of ${args.join(' ')}`).toBe('');
  expect(r.status, `exit status of ${args.join(' ')}`).toBe(0);
  return JSON.parse(r.stdout) as T;
}

/** Asserts the one-line error contract: exit status, exactly one stderr line with the code, no stack trace. */
export function expectError(r: RunResult, status: number, code: string): void {
  expect(r.status, r.stderr).toBe(status);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^anchorsync: ${code}: \\S`));
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

const temps: string[] = [];

/** A fresh temp folder, removed by {@link cleanup}. */
export async function tempDir(prefix = 'anchorsync-cli-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** The bytes of a file, or `undefined` when it does not exist. */
export async function bytesOf(path: string): Promise<Buffer | undefined> {
  return readFile(path).catch(() => undefined);
}

/** File names in a folder (empty when it does not exist). */
export async function filesIn(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

export interface Served {
  url: string;
  child: ChildProcess;
  /** Everything printed so far. */
  output: () => { stdout: string; stderr: string };
  /** Sends a signal and waits for the exit status. */
  stop: (signal?: NodeJS.Signals) => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Starts `anchorsync serve ...` and resolves with the URL from its first stdout line. */
export async function startServe(args: readonly string[]): Promise<Served> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.ANCHORSYNC_DIR;
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const firstLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no line within 10s; stderr: ${stderr}`)), 10_000);
    const check = () => {
      const nl = stdout.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(stdout.slice(0, nl));
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening; stderr: ${stderr}`));
    });
  });
  const m = /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(firstLine);
  if (!m) throw new Error(`unexpected first line: ${firstLine}`);
  expect(Number(m[2])).toBeGreaterThan(0);
  return {
    url: m[1]!,
    child,
    output: () => ({ stdout, stderr }),
    stop: async (signal = 'SIGTERM') => {
      const done = exited(child);
      child.kill(signal);
      return done;
    },
  };
}

/** Kills every serve process still running and removes temp folders. */
export async function cleanup(): Promise<void> {
  await Promise.all(
    [...children].map(async (child) => {
      const done = exited(child);
      child.kill('SIGKILL');
      await done;
    }),
  );
  children.clear();
  await Promise.all([...temps.splice(0), scratch].map((d) => rm(d, { recursive: true, force: true })));
}

/** Live serve processes (for the "no leftovers" check). */
export function liveChildren(): number {
  return [...children].filter((c) => c.exitCode === null && c.signalCode === null).length;
}
