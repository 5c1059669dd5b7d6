import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, cleanup, filesIn, run, runAsync, tempDir } from './helpers.ts';

/** `--help` works for every command, exits 0, names the command, and touches no store. */

beforeAll(buildCli);
afterAll(cleanup);

const COMMANDS = [
  ['keygen'],
  ['signer'],
  ['signer', 'add'],
  ['signer', 'retire'],
  ['signer', 'revoke'],
  ['signer', 'list'],
  ['trust'],
  ['trust', 'pin'],
  ['trust', 'unpin'],
  ['trust', 'list'],
  ['publish'],
  ['serve'],
  ['sync'],
  ['verify'],
  ['inspect'],
  ['apply'],
];

describe('--help', () => {
  it('the top-level help lists every command', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    for (const [name] of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${name!}\\s`, 'm'));
  });

  for (const cmd of COMMANDS) {
    it(`anchorsync ${cmd.join(' ')} --help exits 0 and names the command`, async () => {
      const dir = await tempDir();
      const forms = [[...cmd, '--help'], [...cmd, '-h'], ['help', ...cmd]];
      for (const [args, r] of (await Promise.all(forms.map((f) => runAsync(['--dir', dir, ...f])))).map((r, i) => [forms[i]!, r] as const)) {
        expect(r.status, args.join(' ')).toBe(0);
        expect(r.stderr).toBe('');
        expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^anchorsync ${cmd.join(' ')}: `));
        expect(r.stdout).toContain('Usage:');
      }
      expect(await filesIn(dir)).toEqual([]);
    });
  }

  it('help wins over missing or unknown options', () => {
    const r = run(['publish', '--bogus', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^anchorsync publish: /);
  });

  it('help for an unknown command is a usage error', () => {
    const r = run(['nope', '--help']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^anchorsync: ERR_USAGE: /);
  });
});
