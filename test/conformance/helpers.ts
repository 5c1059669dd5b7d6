/**
 * Shared by the conformance runners: run a runtime on a script to its end
 * (in its own process group, killed on timeout), and check a runtime's
 * results against the same scenario run here in Node.
 */
import { spawn } from 'node:child_process';
import { expect } from 'vitest';
import { CONFORMANCE_STEPS, runConformanceScenario, type ConformanceResult } from './scenario.ts';

export { runtimeBin, ROOT } from '../runtimes/helpers.ts';

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bin args` to completion; past `timeoutMs` its whole process group is killed and the promise rejects. */
export function runToEnd(bin: string, args: string[], options: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<Finished> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  // Own process group: the node_modules/.bin shim starts the runtime as a grandchild.
  const child = spawn(bin, args, {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const killGroup = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      killGroup();
      reject(new Error(`${bin} ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', (error) => (clearTimeout(timer), killGroup(), reject(error)));
    child.once('close', (code) => (clearTimeout(timer), killGroup(), resolve({ code, stdout, stderr })));
  });
}

let reference: Promise<ConformanceResult[]> | undefined;

/**
 * Every step ran and passed, and the results equal the scenario's results in
 * Node word for word: same pack hashes, same counts, same reasons.
 */
export async function expectConformance(results: ConformanceResult[]): Promise<void> {
  expect(results.map((r) => r.name)).toEqual([...CONFORMANCE_STEPS]);
  for (const r of results) expect(r, `${r.name}: ${r.detail}`).toMatchObject({ ok: true });
  reference ??= runConformanceScenario();
  expect(results).toEqual(await reference);
}

/** The one JSON line a runner printed. */
export function parseRunnerOutput(run: Finished): { runtime: string; results: ConformanceResult[] } {
  const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
  expect(line, `no JSON line (exit ${run.code})\n${run.stderr}`).toBeDefined();
  return JSON.parse(line!) as { runtime: string; results: ConformanceResult[] };
}
