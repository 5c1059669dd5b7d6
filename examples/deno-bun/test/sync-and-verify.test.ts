import {
  addSigner,
  bytesToB64u,
  ed25519Sign,
  getSignerSecret,
  publishAnchorPack,
  revokeSigner,
  utf8,
} from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { serveNode, type NodeServer } from '@anchorsync/transport-fetch/node';
import { createAnchorHandler } from '@anchorsync/transport-fetch/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runtimeBin, runToEnd } from '../../../test/conformance/helpers.ts';

const SCRIPT = 'examples/deno-bun/src/sync-and-verify.ts';
const MESSAGE = 'meet at 10:00, room 4';
const RUNTIMES: Record<'deno' | 'bun', string[]> = {
  deno: ['run', '-A', '--no-lock', SCRIPT],
  bun: ['run', SCRIPT],
};

describe('examples/deno-bun: one sync-and-verify script, run unchanged by Deno and Bun', () => {
  let server: NodeServer;
  let root: { kid: string; pubB64u: string };
  let goodSig: string;
  let revokedSig: string;
  let strangerPub: string;

  beforeAll(async () => {
    // Org A: three keys, pack #1; then it revokes one and adds another, pack #2.
    const publisher = memoryStorage();
    root = await addSigner(publisher, { kid: 'a-root' });
    await addSigner(publisher, { kid: 'a-files' });
    await publishAnchorPack({ storage: publisher, ns: 'prod', orgId: 'org-a.example' });
    const leaked = await getSignerSecret(publisher, 'a-files');
    await revokeSigner(publisher, 'a-files');
    await addSigner(publisher, { kid: 'a-chat' });
    await publishAnchorPack({ storage: publisher, ns: 'prod', orgId: 'org-a.example' });
    goodSig = bytesToB64u(ed25519Sign(utf8(MESSAGE), await getSignerSecret(publisher, 'a-chat')));
    revokedSig = bytesToB64u(ed25519Sign(utf8(MESSAGE), leaked));
    strangerPub = (await addSigner(memoryStorage(), { kid: 'x' })).pubB64u;
    server = await serveNode(createAnchorHandler({ storage: publisher }), { host: '127.0.0.1', port: 0 });
  });
  afterAll(() => server?.close());

  const run = (runtime: keyof typeof RUNTIMES, args: string[], env: Record<string, string> = {}) => {
    const [bin, base] = [runtimeBin(runtime), RUNTIMES[runtime]];
    // Only what a test passes: the runner's own environment may set BASE_URL (vitest does).
    const clean = { BASE_URL: '', NS: '', ORG: '', PIN: '', MESSAGE: '', SIG: '' };
    return runToEnd(bin, [...base, ...args], { cwd: ROOT, env: { ...clean, ...env } });
  };

  for (const runtime of ['deno', 'bun'] as const) {
    describe(runtime, () => {
      it('syncs over HTTP, accepts a signature by an ACTIVE key and refuses one by the revoked key (exit 1)', { timeout: 30_000 }, async () => {
        const out = await run(runtime, [
          '--base-url', server.url, '--ns', 'prod', '--org', 'org-a.example', '--pin', `${root.kid}:${root.pubB64u}`,
          '--message', MESSAGE, '--sig', `a-chat:${goodSig}`, '--sig', `a-files:${revokedSig}`,
        ]);
        expect(out.stderr).toBe('');
        expect(out.stdout).toMatch(/^sync org-a\.example: ok, seq 0 -> 2, 3 added, 0 retired, 1 revoked$/m);
        expect(out.stdout).toMatch(/^ {2}a-files\s+REVOKED$/m);
        expect(out.stdout).toMatch(/^verify a-chat: VALID$/m);
        expect(out.stdout).toMatch(/^verify a-files: REFUSED \(REVOKED\)$/m);
        expect(out.code).toBe(1);
      });

      it('takes its options from the environment and exits 0 when every signature is valid', { timeout: 30_000 }, async () => {
        const out = await run(runtime, [], {
          BASE_URL: server.url, NS: 'prod', ORG: 'org-a.example', PIN: `${root.kid}:${root.pubB64u}`, MESSAGE, SIG: `a-chat:${goodSig}`,
        });
        expect(out.stdout).toMatch(/^verify a-chat: VALID$/m);
        expect(out.code, out.stderr).toBe(0);
      });

      it('with the wrong key pinned the sync is refused (ERR_PACK_SIGNATURE) and nothing verifies', { timeout: 30_000 }, async () => {
        const out = await run(runtime, [
          '--base-url', server.url, '--ns', 'prod', '--org', 'org-a.example', '--pin', `a-root:${strangerPub}`,
          '--message', MESSAGE, '--sig', `a-chat:${goodSig}`,
        ]);
        expect(out.stdout).toMatch(/^sync org-a\.example: refused, ERR_PACK_SIGNATURE: /m);
        expect(out.stdout).toMatch(/^verify a-chat: REFUSED \(UNKNOWN_ORG\)$/m);
        expect(out.code).toBe(1);
      });

      it('bad usage exits 2 without contacting anyone', { timeout: 30_000 }, async () => {
        const out = await run(runtime, ['--ns', 'prod', '--pin', 'no-colon']);
        expect(out.stderr).toMatch(/^sync-and-verify: --base-url is required$/m);
        expect(out.code).toBe(2);
      });
    });
  }
});
