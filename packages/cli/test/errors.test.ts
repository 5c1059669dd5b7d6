import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, bytesOf, cleanup, expectError, filesIn, PKG_DIR, run, runAsync, runJson, tempDir } from './helpers.ts';

/**
 * Bad input never changes the store and always ends in one stderr line
 * `anchorsync: <CODE>: <message>` with exit 2 (usage) or 1 (failure).
 */

beforeAll(buildCli);
afterAll(cleanup);

/** A store with a signer, a pinned key and one published pack; returns its folder and pack file. */
async function seededStore(): Promise<{ dir: string; pack: string; store: string }> {
  const dir = await tempDir();
  const key = runJson(['--dir', dir, 'keygen', '--kid', 'k1']);
  runJson(['--dir', dir, 'trust', 'pin', '--ns', 'prod', '--org', 'peer', '--kid', 'p1', '--pub', key.pubB64u]);
  const pack = join(dir, 'pack.json');
  runJson(['--dir', dir, 'publish', '--ns', 'prod', '--org', 'org-a', '--out', pack]);
  return { dir, pack, store: join(dir, 'store.json') };
}

describe('bad input leaves the store unchanged', () => {
  it('a missing pack file: ERR_FILE, exit 1, store byte-identical', async () => {
    const { dir, store } = await seededStore();
    const before = await bytesOf(store);
    for (const cmd of ['verify', 'apply']) {
      const r = run(['--dir', dir, cmd, join(dir, 'no-such-pack.json')]);
      expectError(r, 1, 'ERR_FILE');
      expect(r.stderr).toContain('no-such-pack.json');
      expect(r.stdout).toBe('');
    }
    expect(await bytesOf(store)).toEqual(before);
  });

  it('a pack file that is not JSON, or not a pack: ERR_PACK_SCHEMA, exit 1, store byte-identical', async () => {
    const { dir, store } = await seededStore();
    const before = await bytesOf(store);
    const cases: [string, string][] = [
      ['truncated.json', '{"v":1,"ns":'],
      ['array.json', '[1,2,3]'],
      ['extra-member.json', JSON.stringify({ v: 1, ns: 'prod', orgId: 'org-a', seq: 1, extra: true })],
      ['empty.json', ''],
    ];
    for (const [name, content] of cases) {
      const file = join(dir, name);
      await writeFile(file, content);
      expectError(run(['--dir', dir, 'verify', file]), 1, 'ERR_PACK_SCHEMA');
      expectError(run(['--dir', dir, 'apply', file]), 1, 'ERR_PACK_SCHEMA');
    }
    expect(await bytesOf(store)).toEqual(before);
  });

  it('verify --json reports an invalid pack as { ok: false, code } and exits 1', async () => {
    const { dir } = await seededStore();
    const file = join(dir, 'bad.json');
    await writeFile(file, '{}');
    const r = run(['--dir', dir, 'verify', file, '--json']);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, code: 'ERR_PACK_SCHEMA' });
    expect(r.stderr).toMatch(/^anchorsync: ERR_PACK_SCHEMA: /);
  });

  it('a tampered pack fails verify with ERR_PACK_SIGNATURE and is not applied', async () => {
    const { dir, pack, store } = await seededStore();
    // The local org's own pack verifies with the local signer...
    expect(runJson(['--dir', dir, 'verify', pack])).toMatchObject({ ok: true, signedBy: [{ kid: 'k1', source: 'local' }] });
    // ...until one byte of what it says changes.
    const tampered = JSON.parse(await readFile(pack, 'utf8'));
    tampered.anchors[0].status = 'REVOKED';
    const file = join(dir, 'tampered.json');
    await writeFile(file, JSON.stringify(tampered));
    const before = await bytesOf(store);
    expectError(run(['--dir', dir, 'verify', file]), 1, 'ERR_PACK_SIGNATURE');
    expectError(run(['--dir', dir, 'apply', file]), 1, 'ERR_PACK_SIGNATURE');
    expect(await bytesOf(store)).toEqual(before);
  });

  it('a corrupt store file: ERR_STORAGE_CORRUPT, exit 1, one line, file byte-identical, nothing else written', async () => {
    const dir = await tempDir();
    const store = join(dir, 'store.json');
    await writeFile(store, '{"format":"anchorsync-store/v1","entries":{"fed:signers:k1":{"kid"', { mode: 0o600 });
    const before = await bytesOf(store);
    const pack = join(dir, 'pack.json');
    const commands = [
      ['keygen'],
      ['signer', 'add'],
      ['signer', 'list'],
      ['signer', 'revoke', 'k1'],
      ['trust', 'list'],
      ['trust', 'pin', '--ns', 'prod', '--org', 'peer', '--kid', 'p1', '--pub', '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'],
      ['publish', '--ns', 'prod', '--org', 'org-a', '--out', pack],
      ['inspect'],
      ['sync', '--from', 'http://127.0.0.1:9', '--ns', 'prod', '--org', 'peer'],
      ['serve', '--ns', 'prod', '--port', '0'],
    ];
    for (const args of commands) {
      const r = run(['--dir', dir, ...args]);
      expectError(r, 1, 'ERR_STORAGE_CORRUPT');
      expect(r.stderr).toContain(store);
    }
    expect(await bytesOf(store)).toEqual(before);
    expect(await filesIn(dir)).toEqual(['store.json']);
  });

  it('a store folder that is a file: ERR_STORAGE with the system reason, exit 1, file untouched', async () => {
    const file = join(await tempDir(), 'not-a-folder');
    await writeFile(file, 'keep me');
    for (const args of [['keygen'], ['inspect']]) {
      const r = run(['--dir', file, ...args]);
      expectError(r, 1, 'ERR_STORAGE');
      expect(r.stderr).toContain('ENOTDIR');
    }
    expect(await readFile(file, 'utf8')).toBe('keep me');
  });

  it('a failed operation (no ACTIVE signer) writes nothing', async () => {
    const dir = await tempDir();
    runJson(['--dir', dir, 'keygen', '--kid', 'k1']);
    runJson(['--dir', dir, 'signer', 'retire', 'k1']);
    const before = await bytesOf(join(dir, 'store.json'));
    expectError(run(['--dir', dir, 'publish', '--ns', 'prod', '--org', 'org-a']), 1, 'ERR_NO_SIGNER');
    expectError(run(['--dir', dir, 'signer', 'retire', 'k1']), 1, 'ERR_SIGNER');
    expectError(run(['--dir', dir, 'trust', 'unpin', '--ns', 'prod', '--org', 'x', '--kid', 'y']), 1, 'ERR_NOT_FOUND');
    expect(await bytesOf(join(dir, 'store.json'))).toEqual(before);
  });

  it('publish checks --out and --push before signing anything', async () => {
    const dir = await tempDir();
    runJson(['--dir', dir, 'keygen']);
    const before = await bytesOf(join(dir, 'store.json'));
    expectError(run(['--dir', dir, 'publish', '--ns', 'p', '--org', 'o', '--out', join(dir, 'missing', 'pack.json')]), 1, 'ERR_FILE');
    expectError(run(['--dir', dir, 'publish', '--ns', 'p', '--org', 'o', '--push', 'ftp://x']), 2, 'ERR_USAGE');
    expectError(run(['--dir', dir, 'publish', '--ns', 'p', '--org', 'o', '--ttl', '3 days']), 2, 'ERR_USAGE');
    expect(await bytesOf(join(dir, 'store.json'))).toEqual(before);
  });
});

describe('usage errors exit 2 with ERR_USAGE', () => {
  it('an unknown command', () => {
    const r = run(['frobnicate']);
    expectError(r, 2, 'ERR_USAGE');
    expect(r.stderr).toContain('frobnicate');
  });

  it('no command at all', () => {
    expectError(run([]), 2, 'ERR_USAGE');
  });

  it('an unknown subcommand, or none', () => {
    expectError(run(['signer', 'frob']), 2, 'ERR_USAGE');
    expectError(run(['trust']), 2, 'ERR_USAGE');
  });

  it('an unknown option', () => {
    const r = run(['inspect', '--bogus']);
    expectError(r, 2, 'ERR_USAGE');
    expect(r.stderr).toContain('--bogus');
  });

  it('a missing required option names the option', async () => {
    const dir = await tempDir();
    const cases: [string[], string][] = [
      [['publish', '--ns', 'prod'], '--org'],
      [['publish', '--org', 'org-a'], '--ns'],
      [['trust', 'pin', '--ns', 'prod', '--org', 'x', '--kid', 'k'], '--pub'],
      [['sync', '--ns', 'prod', '--org', 'x'], '--from'],
      [['sync', '--from', 'http://127.0.0.1:1', '--ns', 'prod'], '--org'],
      [['serve', '--port', '0'], '--ns'],
      [['verify'], '<pack.json>'],
      [['signer', 'revoke'], '<kid>'],
    ];
    for (const [args, option] of cases) {
      const r = run(['--dir', dir, ...args]);
      expectError(r, 2, 'ERR_USAGE');
      expect(r.stderr).toContain(option);
    }
    expect(await filesIn(dir)).toEqual([]);
  });

  it('malformed values: an id with spaces, a port out of range, a string for a flag', () => {
    expectError(run(['publish', '--ns', 'a b', '--org', 'o']), 2, 'ERR_USAGE');
    expectError(run(['serve', '--ns', 'p', '--port', '70000']), 2, 'ERR_USAGE');
    expectError(run(['inspect', '--json=yes']), 2, 'ERR_USAGE');
    expectError(run(['keygen', 'extra-arg']), 2, 'ERR_USAGE');
  });

  it('a malformed public key to pin is refused (ERR_INVALID_ARGUMENT, exit 2)', async () => {
    const dir = await tempDir();
    expectError(run(['--dir', dir, 'trust', 'pin', '--ns', 'p', '--org', 'o', '--kid', 'k', '--pub', 'AAAA']), 2, 'ERR_INVALID_ARGUMENT');
    expect(await filesIn(dir)).toEqual([]);
  });
});

describe('global options', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(PKG_DIR, 'package.json'), 'utf8'));
    for (const args of [['--version'], ['-v']]) {
      const r = run(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${pkg.version}\n`);
    }
  });

  it('the store folder comes from --dir, else ANCHORSYNC_DIR, else ./.anchorsync', async () => {
    const viaEnv = await tempDir();
    const key = JSON.parse(run(['keygen', '--kid', 'e1', '--json'], { env: { ANCHORSYNC_DIR: viaEnv } }).stdout);
    expect(key.kid).toBe('e1');
    expect(await filesIn(viaEnv)).toEqual(['store.json']);

    const cwd = await tempDir();
    runJson(['--dir', join(cwd, 'explicit'), 'keygen']);
    expect(run(['keygen', '--kid', 'c1'], { cwd }).status).toBe(0);
    expect(await filesIn(join(cwd, '.anchorsync'))).toEqual(['store.json']);
    expect(await filesIn(join(cwd, 'explicit'))).toEqual(['store.json']);
  });

  it('the store folder is created 0700 and the store file 0600', async () => {
    const parent = await tempDir();
    const dir = join(parent, 'store');
    runJson(['--dir', dir, 'keygen']);
    const { stat } = await import('node:fs/promises');
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'store.json'))).mode & 0o777).toBe(0o600);
  });

  it('CLI processes writing one store at once all land (the store is locked per commit)', async () => {
    const dir = await tempDir();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => runAsync(['--dir', dir, 'keygen', '--kid', `k${i}`])));
    for (const r of results) expect(r.status, r.stderr).toBe(0);
    expect(runJson<{ kid: string }[]>(['--dir', dir, 'signer', 'list']).map((s) => s.kid)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5']);
    expect(await filesIn(dir)).toEqual(['store.json']);
  });

  it('a read-only command on a new folder creates nothing', async () => {
    const parent = await tempDir();
    await mkdir(join(parent, 'x'));
    expect(run(['--dir', join(parent, 'x'), 'inspect']).status).toBe(0);
    expect(run(['--dir', join(parent, 'y'), 'signer', 'list']).status).toBe(0);
    expect(await filesIn(parent)).toEqual(['x']);
    expect(await filesIn(join(parent, 'x'))).toEqual([]);
  });
});
