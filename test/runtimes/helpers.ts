/**
 * Shared by the runtime tests: start a runtime's server script and read the
 * line it prints once listening, then sync from it with the real client and
 * check what arrived verifies against the publisher's key.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { getAnchors, getSyncState, isAnchorSyncError, pinTrustAnchor, runAnchorSync } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { fetchTransport, type FetchLike } from '@anchorsync/transport-fetch/client';
import { DEMO_NS, DEMO_ORG } from './fixtures/app.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** The runtime's binary from node_modules/.bin; the test fails (never skips) when it is missing. */
export function runtimeBin(name: 'deno' | 'bun'): string {
  const bin = `${ROOT}node_modules/.bin/${name}`;
  expect(existsSync(bin), `${name} is not installed (devDependency "${name}"; run pnpm install)`).toBe(true);
  return bin;
}

export interface Started {
  child: ChildProcess;
  info: { port: number; pubB64u: string; runtime: string };
}

/** Spawns `bin args`, resolving with the first JSON line it prints; rejects with its stderr if it dies first. */
export function startServer(bin: string, args: string[], timeoutMs = 45_000): Promise<Started> {
  // Its own process group: the .bin shim starts the runtime as a grandchild, and stop() must end both.
  const child = spawn(bin, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`no listening line within ${timeoutMs} ms\n${err}`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      killGroup(child, 'SIGKILL');
      reject(error);
    };
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined || !out.includes('\n')) return;
      clearTimeout(timer);
      resolve({ child, info: JSON.parse(line) as Started['info'] });
    });
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`${bin} exited with ${code} before listening\n${err}`)));
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** Stops a server this test started: its own process group, by the id spawn gave it. */
export async function stop(started: Started | undefined): Promise<void> {
  const child = started?.child;
  if (!child) return;
  const exited = child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve));
  killGroup(child, 'SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3_000))]);
  killGroup(child, 'SIGKILL');
}

/**
 * A client that pinned the publisher's key syncs from `baseUrl`: the pack
 * verifies and applies, an immediate re-sync is a 304, and errors are
 * protocol JSON.
 */
export async function expectServesVerifiedPacks(baseUrl: string, pubB64u: string, fetch?: FetchLike): Promise<void> {
  const storage = memoryStorage();
  await pinTrustAnchor(storage, { ns: DEMO_NS, orgId: DEMO_ORG, kid: 'root', pubB64u });
  const statuses: number[] = [];
  const base = fetch ?? ((input, init) => globalThis.fetch(input, init));
  const transport = fetchTransport({
    baseUrl,
    retries: 0,
    fetch: async (input, init) => {
      const res = await base(input, init);
      statuses.push(res.status);
      return res;
    },
  });
  const peers = [{ ns: DEMO_NS, orgId: DEMO_ORG }];
  const [first] = await runAnchorSync({ storage, transport, peers });
  expect(first).toMatchObject({ ok: true, toSeq: 1, packsApplied: 1, added: 2 });
  expect((await getAnchors(storage, DEMO_NS, DEMO_ORG)).map((a) => [a.kid, a.status])).toEqual([
    ['edge-1', 'ACTIVE'],
    ['root', 'ACTIVE'],
  ]);
  const [second] = await runAnchorSync({ storage, transport, peers, force: true });
  expect(second).toMatchObject({ ok: true, toSeq: 1, packsApplied: 0 });
  expect(statuses).toEqual([200, 304]);
  expect((await getSyncState(storage, DEMO_NS, DEMO_ORG))!.nextSyncAt).toBeDefined();

  const missing = await transport.pull({ ns: DEMO_NS, orgId: 'org-zz', since: 0 }).catch((e: unknown) => e);
  expect(isAnchorSyncError(missing, 'ERR_NOT_FOUND')).toBe(true);

  // A client pinning another key refuses the same bytes: the check is real.
  const stranger = memoryStorage();
  await pinTrustAnchor(stranger, { ns: DEMO_NS, orgId: DEMO_ORG, kid: 'root', pubB64u: 'O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik' });
  const [refused] = await runAnchorSync({ storage: stranger, transport, peers });
  expect(refused).toMatchObject({ ok: false, rejected: { code: 'ERR_PACK_SIGNATURE' } });
}
