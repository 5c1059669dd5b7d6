// The built CLI runs unchanged on Bun and Deno (their Node compatibility):
// one org keeps keys and publishes, another pins and syncs over real HTTP
// served by the CLI under that runtime.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, CLI } from './helpers.ts';

const BIN = join(process.cwd(), 'node_modules', '.bin');
const runtimes = {
  bun: (args: string[]) => [join(BIN, 'bun'), [CLI, ...args]] as const,
  deno: (args: string[]) => [join(BIN, 'deno'), ['run', '-A', '--quiet', CLI, ...args]] as const,
};

beforeAll(buildCli, 60_000);

for (const [name, command] of Object.entries(runtimes)) {
  describe(`the built CLI on ${name}`, () => {
    let dir = '';
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), `anchorsync-${name}-`));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    const cli = (args: string[]) => {
      const [bin, argv] = command(args);
      const r = spawnSync(bin, argv, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };

    it(`keygen, publish, serve, pin and sync work under ${name}`, async () => {
      const a = join(dir, 'a');
      const b = join(dir, 'b');
      const key = cli(['--dir', a, 'keygen', '--kid', 'a-root', '--json']);
      expect(key.status, key.stderr).toBe(0);
      const { pubB64u } = JSON.parse(key.stdout) as { pubB64u: string };
      expect(cli(['--dir', a, 'publish', '--ns', 'prod', '--org', 'org-a']).status).toBe(0);

      const [bin, argv] = command(['--dir', a, 'serve', '--ns', 'prod', '--port', '0']);
      const server = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let out = '';
          server.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            const m = /listening on (http:\/\/\S+)/.exec(out);
            if (m) resolve(m[1]!);
          });
          server.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
          setTimeout(() => reject(new Error(`no listening line: ${out}`)), 30_000);
        });
        expect(cli(['--dir', b, 'trust', 'pin', '--ns', 'prod', '--org', 'org-a', '--kid', 'a-root', '--pub', pubB64u]).status).toBe(0);
        const sync = cli(['--dir', b, 'sync', '--from', url, '--ns', 'prod', '--org', 'org-a']);
        expect(sync.status, sync.stderr).toBe(0);
        const inspect = JSON.parse(cli(['--dir', b, 'inspect', '--json']).stdout) as { orgs: { orgId: string; state?: { seq: number } }[] };
        expect(inspect.orgs.find((o) => o.orgId === 'org-a')?.state?.seq).toBe(1);
      } finally {
        // The .bin shim does not pass signals on: end the whole process group.
        try {
          process.kill(-server.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }, 90_000);
  });
}
