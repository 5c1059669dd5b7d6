import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, bytesOf, cleanup, expectError, liveChildren, run, runJson, startServe, tempDir, type Served } from './helpers.ts';

/**
 * The whole flow between two organisations, each with its own store folder,
 * through the built CLI: A publishes and serves, B pins A's key and syncs,
 * A revokes a key and publishes again, B syncs again and sees it REVOKED.
 */

interface OrgView {
  ns: string;
  orgId: string;
  local: boolean;
  stale: boolean;
  state: { seq: number; expiresAt: string; hash: string } | null;
  anchors: { kid: string; status: string; pubB64u: string }[];
}

function statuses(org: OrgView): Record<string, string> {
  return Object.fromEntries(org.anchors.map((a) => [a.kid, a.status]));
}

beforeAll(buildCli);
afterAll(async () => {
  await cleanup();
  expect(liveChildren()).toBe(0);
});

describe('publish -> serve -> sync -> revoke -> publish -> sync', () => {
  let a: string;
  let b: string;
  let served: Served;
  let a1: { kid: string; pubB64u: string };

  it('A creates two signers; keygen prints the public key and never the secret', async () => {
    a = await tempDir();
    b = await tempDir();
    a1 = runJson(['--dir', a, 'keygen', '--kid', 'a1']);
    expect(a1).toMatchObject({ kid: 'a1', status: 'ACTIVE' });
    expect(a1.pubB64u).toMatch(/^[A-Za-z0-9_-]{43}$/);
    runJson(['--dir', a, 'signer', 'add', '--kid', 'a2']);
    const store = (await bytesOf(join(a, 'store.json')))!.toString('utf8');
    const secrets = Object.entries(JSON.parse(store).entries as Record<string, unknown>).filter(([k]) => k.startsWith('fed:signer-secrets:'));
    expect(secrets).toHaveLength(2);
    const keygenText = run(['--dir', a, 'signer', 'list']).stdout + JSON.stringify(runJson(['--dir', a, 'signer', 'list']));
    for (const [, secret] of secrets) expect(keygenText).not.toContain(secret as string);
  });

  it('A publishes a base pack and writes it to a file', async () => {
    const out = join(a, 'pack1.json');
    const published = runJson(['--dir', a, 'publish', '--ns', 'prod', '--org', 'org-a', '--out', out]);
    expect(published).toMatchObject({ ns: 'prod', orgId: 'org-a', seq: 1, base: true, changed: ['a1', 'a2'], signedBy: ['a1', 'a2'] });
    expect(JSON.parse((await bytesOf(out))!.toString('utf8'))).toMatchObject({ v: 1, seq: 1, orgId: 'org-a' });
  });

  it('A serves on a free port and prints the real URL first', async () => {
    served = await startServe(['--dir', a, '--ns', 'prod', '--org', 'org-a', '--port', '0']);
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('B refuses A before pinning a key (rejection code, exit 1, nothing stored)', async () => {
    const r = run(['--dir', b, 'sync', '--from', served.url, '--ns', 'prod', '--org', 'org-a']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/org-a\s+0->0.*ERR_PACK_SIGNATURE/);
    expect(r.stderr).toMatch(/^anchorsync: ERR_PACK_SIGNATURE: prod\/org-a: /);
    expect(await bytesOf(join(b, 'store.json'))).toBeUndefined();
  });

  it('B pins A\'s key and syncs: both anchors added at seq 1', async () => {
    runJson(['--dir', b, 'trust', 'pin', '--ns', 'prod', '--org', 'org-a', '--kid', 'a1', '--pub', a1.pubB64u]);
    const results = runJson<any[]>(['--dir', b, 'sync', '--from', served.url, '--ns', 'prod', '--org', 'org-a']);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ orgId: 'org-a', ok: true, fromSeq: 0, toSeq: 1, added: 2, revoked: 0 });
    const view = runJson<{ orgs: OrgView[] }>(['--dir', b, 'inspect', '--ns', 'prod', '--org', 'org-a']);
    expect(view.orgs).toHaveLength(1);
    expect(view.orgs[0]).toMatchObject({ ns: 'prod', orgId: 'org-a', local: false, stale: false, state: { seq: 1 } });
    expect(statuses(view.orgs[0]!)).toEqual({ a1: 'ACTIVE', a2: 'ACTIVE' });
  });

  it('the text table names the org, the seq move and the counts', () => {
    const r = run(['--dir', b, 'sync', '--from', served.url, '--ns', 'prod', '--org', 'org-a', '--force']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^ORG\s+SEQ\s+ADDED\s+UPDATED\s+RETIRED\s+REVOKED\s+UNCHANGED\s+RESULT$/m);
    expect(r.stdout).toMatch(/^org-a\s+1->1\s+0\s+0\s+0\s+0\s+0\s+ok$/m);
  });

  it('A revokes a2 and publishes a delta carrying only a2', () => {
    expect(runJson(['--dir', a, 'signer', 'revoke', 'a2'])).toMatchObject({ kid: 'a2', status: 'REVOKED' });
    const published = runJson(['--dir', a, 'publish', '--ns', 'prod', '--org', 'org-a', '--out', join(a, 'pack2.json')]);
    expect(published).toMatchObject({ seq: 2, base: false, changed: ['a2'], signedBy: ['a1'] });
  });

  it('B honours the refresh hint unless forced, then syncs the revocation', () => {
    const waiting = runJson<any[]>(['--dir', b, 'sync', '--from', served.url, '--ns', 'prod', '--org', 'org-a']);
    expect(waiting[0]).toMatchObject({ orgId: 'org-a', skipped: 'not-due', fromSeq: 1, toSeq: 1 });

    const results = runJson<any[]>(['--dir', b, 'sync', '--from', served.url, '--ns', 'prod', '--org', 'org-a', '--force']);
    expect(results[0]).toMatchObject({ ok: true, fromSeq: 1, toSeq: 2, added: 0, updated: 1, revoked: 1 });
    const view = runJson<{ orgs: OrgView[] }>(['--dir', b, 'inspect']);
    const orgA = view.orgs.find((o) => o.orgId === 'org-a')!;
    expect(orgA.state?.seq).toBe(2);
    expect(statuses(orgA)).toEqual({ a1: 'ACTIVE', a2: 'REVOKED' });
  });

  it('an up-to-date B costs a not-modified pull and changes nothing', () => {
    const results = runJson<any[]>(['--dir', b, 'sync', '--from', served.url, '--ns', 'prod', '--org', 'org-a', '--force']);
    expect(results[0]).toMatchObject({ ok: true, fromSeq: 2, toSeq: 2, added: 0, updated: 0, packsApplied: 0 });
  });

  it('A sees itself as the local org in inspect, with the same statuses', () => {
    const view = runJson<{ orgs: OrgView[]; signers: { kid: string; status: string }[] }>(['--dir', a, 'inspect']);
    expect(view.orgs).toHaveLength(1);
    expect(view.orgs[0]).toMatchObject({ orgId: 'org-a', local: true, state: { seq: 2 } });
    expect(statuses(view.orgs[0]!)).toEqual({ a1: 'ACTIVE', a2: 'REVOKED' });
    expect(view.signers.map((s) => [s.kid, s.status])).toEqual([
      ['a1', 'ACTIVE'],
      ['a2', 'REVOKED'],
    ]);
  });

  it('serve answers 404 for an org it does not serve, and sync reports it per peer', () => {
    const r = run(['--dir', b, 'sync', '--from', served.url, '--ns', 'prod', '--org', 'org-a', '--org', 'org-x', '--force', '--json']);
    expect(r.status).toBe(1);
    const results = JSON.parse(r.stdout) as any[];
    expect(results.map((x) => [x.orgId, x.ok])).toEqual([
      ['org-a', true],
      ['org-x', false],
    ]);
    expect(results[1].rejected.code).toBe('ERR_NOT_FOUND');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a store whose pinned key signed none of the packs rejects them and stays byte-identical', async () => {
    const c = await tempDir();
    const stranger = runJson(['--dir', await tempDir(), 'keygen', '--kid', 'a1']);
    runJson(['--dir', c, 'trust', 'pin', '--ns', 'prod', '--org', 'org-a', '--kid', 'a1', '--pub', stranger.pubB64u]);
    const before = await bytesOf(join(c, 'store.json'));
    const r = run(['--dir', c, 'sync', '--from', served.url, '--ns', 'prod', '--org', 'org-a']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ERR_PACK_SIGNATURE/);
    expect(await bytesOf(join(c, 'store.json'))).toEqual(before);
  });

  it('verify checks pack files against pinned keys without storing anything', async () => {
    const before = await bytesOf(join(b, 'store.json'));
    const ok = runJson(['--dir', b, 'verify', join(a, 'pack2.json'), '--ns', 'prod', '--org', 'org-a']);
    expect(ok).toMatchObject({ ok: true, seq: 2, signedBy: [{ kid: 'a1', source: 'pinned' }], acceptedSeq: 2 });
    const wrongOrg = run(['--dir', b, 'verify', join(a, 'pack2.json'), '--org', 'org-b']);
    expectError(wrongOrg, 1, 'ERR_PACK_SCHEMA');
    const empty = await tempDir();
    expectError(run(['--dir', empty, 'verify', join(a, 'pack1.json')]), 1, 'ERR_PACK_SIGNATURE');
    expect(await bytesOf(join(b, 'store.json'))).toEqual(before);
    expect(await bytesOf(join(empty, 'store.json'))).toBeUndefined();
  });

  it('apply takes pack files through every rule: base, delta, replay, rollback', async () => {
    const d = await tempDir();
    runJson(['--dir', d, 'trust', 'pin', '--ns', 'prod', '--org', 'org-a', '--kid', 'a1', '--pub', a1.pubB64u]);
    // A delta cannot start a log.
    expectError(run(['--dir', d, 'apply', join(a, 'pack2.json')]), 1, 'ERR_PACK_CHAIN');
    expect(runJson(['--dir', d, 'apply', join(a, 'pack1.json')])).toMatchObject({ status: 'applied', seq: 1, counts: { added: 2 } });
    expect(runJson(['--dir', d, 'apply', join(a, 'pack1.json')])).toMatchObject({ status: 'unchanged', seq: 1 });
    expect(runJson(['--dir', d, 'apply', join(a, 'pack2.json')])).toMatchObject({ status: 'applied', seq: 2, counts: { revoked: 1 } });
    const before = await bytesOf(join(d, 'store.json'));
    expectError(run(['--dir', d, 'apply', join(a, 'pack1.json')]), 1, 'ERR_PACK_ROLLBACK');
    expect(await bytesOf(join(d, 'store.json'))).toEqual(before);
  });

  it('a relay accepts a pushed snapshot signed by a pinned key, and peers sync from it', async () => {
    const relay = await tempDir();
    runJson(['--dir', relay, 'trust', 'pin', '--ns', 'prod', '--org', 'org-a', '--kid', 'a1', '--pub', a1.pubB64u]);
    const relayServed = await startServe(['--dir', relay, '--ns', 'prod', '--port', '0', '--accept-push', '--refresh-after', '0']);
    try {
      const pushed = runJson(['--dir', a, 'publish', '--ns', 'prod', '--org', 'org-a', '--snapshot', '--push', relayServed.url]);
      expect(pushed).toMatchObject({ seq: 3, base: true, push: { stored: true, seq: 3 } });
      const e = await tempDir();
      runJson(['--dir', e, 'trust', 'pin', '--ns', 'prod', '--org', 'org-a', '--kid', 'a1', '--pub', a1.pubB64u]);
      const results = runJson<any[]>(['--dir', e, 'sync', '--from', relayServed.url, '--ns', 'prod', '--org', 'org-a']);
      expect(results[0]).toMatchObject({ ok: true, toSeq: 3 });
      const view = runJson<{ orgs: OrgView[] }>(['--dir', e, 'inspect']);
      expect(statuses(view.orgs[0]!)).toEqual({ a1: 'ACTIVE', a2: 'REVOKED' });
    } finally {
      expect((await relayServed.stop('SIGINT')).code).toBe(0);
    }
  });

  it('serve shuts down cleanly on SIGTERM', async () => {
    const { code } = await served.stop('SIGTERM');
    expect(code).toBe(0);
    expect(served.output().stdout).toMatch(/stopped \(SIGTERM\)\n$/);
    expect(served.output().stderr).toBe('');
    expect(liveChildren()).toBe(0);
  });
});
