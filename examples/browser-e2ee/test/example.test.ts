// The browser-e2ee example's Node side and its parsers, without a browser
// (the browser suite is test/browser/e2ee-chromium.test.ts): the servers
// send the headers that confine the key manager, the pack servers answer
// CORS for the key manager's origin only, and what crosses between the two
// frames is checked before use.
import { isAnchorSyncError } from '@anchorsync/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAppConfig, parseKeyManagerConfig } from '../src/browser/config.ts';
import { notice, parseNotice, parseSyncParams, parseSyncSummary } from '../src/browser/wire.ts';
import { createDemoWorld, NS, ORG_A, type DemoWorld } from '../src/server/demo-orgs.ts';
import { startExample, type ExampleServers } from '../src/server/servers.ts';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isAnchorSyncError(e) ? e.code : 'not an AnchorSyncError';
  }
  return undefined;
}

describe('key manager config', () => {
  const good = { appOrigins: ['https://app.example'], peers: [{ ns: 'chat', orgId: 'org-a.example', baseUrl: 'https://keys.org-a.example', pins: [{ kid: 'a-root', pubB64u: 'x' }] }] };

  it('a well-formed config is read as given', () => {
    expect(parseKeyManagerConfig(good)).toEqual({ ...good, peers: [{ ...good.peers[0], baseUrl: 'https://keys.org-a.example/' }] });
  });

  it('an app origin that is a wildcard, "null", a path or has a trailing slash is refused with ERR_INVALID_ARGUMENT', () => {
    for (const origin of ['*', 'https://*.example', 'null', 'https://app.example/', 'https://app.example/inbox', 'app.example']) {
      expect(code(() => parseKeyManagerConfig({ ...good, appOrigins: [origin] })), origin).toBe('ERR_INVALID_ARGUMENT');
    }
  });

  it('a peer without a pinned key, with a bad id or a non-http pack server is refused', () => {
    const peer = good.peers[0]!;
    for (const bad of [{ ...peer, pins: [] }, { ...peer, orgId: 'a:b' }, { ...peer, baseUrl: 'javascript:alert(1)' }]) {
      expect(code(() => parseKeyManagerConfig({ ...good, peers: [bad] }))).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(code(() => parseKeyManagerConfig({ appOrigins: good.appOrigins, peers: [] }))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('the app config resolves relative URLs against the page', () => {
    expect(parseAppConfig({ keyManagerUrl: 'https://keys.example/key-manager.html', inboxUrl: '/inbox.json' }, 'https://app.example/')).toEqual({
      keyManagerUrl: 'https://keys.example/key-manager.html',
      inboxUrl: 'https://app.example/inbox.json',
    });
    expect(code(() => parseAppConfig({ keyManagerUrl: 'data:text/html,hi', inboxUrl: '/i' }, 'https://app.example/'))).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('messages between the frames', () => {
  it('notices round-trip, and anything with an extra member, a bad id or a bad seq is not a notice', () => {
    const change = { type: 'anchors-changed', ns: 'chat', orgId: 'org-a.example', seq: 3 } as const;
    expect(parseNotice(notice(change))).toEqual(change);
    expect(parseNotice(notice({ type: 'ready' }))).toEqual({ type: 'ready' });
    expect(parseNotice(notice({ type: 'failed', code: 'UnknownError' }))).toEqual({ type: 'failed', code: 'UnknownError' });
    expect(parseNotice({ ...notice({ type: 'ready' }), extra: 1 })).toBeUndefined();
    expect(parseNotice(notice({ ...change, orgId: '<img src=x>' }))).toBeUndefined();
    expect(parseNotice(notice({ ...change, seq: -1 }))).toBeUndefined();
    expect(parseNotice(notice({ type: 'failed', code: 'stack: at line 1' }))).toBeUndefined();
    expect(parseNotice({ anchorsync: 1, id: 'x', op: 'peers' })).toBeUndefined();
  });

  it('x-sync members and results are checked: a bad one is a typed error, not a guess', () => {
    expect(parseSyncParams({ ns: 'chat', orgId: 'org-a.example' })).toEqual({ ns: 'chat', orgId: 'org-a.example', force: false });
    expect(code(() => parseSyncParams({ ns: 'chat', orgId: 'org-a.example', force: 'yes' }))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => parseSyncParams({ ns: 'chat', orgId: 'org-a.example', baseUrl: 'https://evil.example' }))).toBe('ERR_INVALID_ARGUMENT');
    const summary = { ns: 'chat', orgId: 'org-a.example', ok: true, skipped: false, fromSeq: 1, toSeq: 2, packsApplied: 1 };
    expect(parseSyncSummary(summary)).toEqual(summary);
    expect(code(() => parseSyncSummary({ ...summary, packsApplied: '1' }))).toBe('ERR_TRANSPORT');
    expect(code(() => parseSyncSummary({ ...summary, code: 'Error: at key-manager.js:12' }))).toBe('ERR_TRANSPORT');
    expect(code(() => parseSyncSummary(null))).toBe('ERR_TRANSPORT');
  });
});

describe('the example servers', () => {
  let world: DemoWorld;
  let servers: ExampleServers;
  beforeAll(async () => {
    world = await createDemoWorld();
    servers = await startExample({ ns: world.ns, orgs: world.orgs, inbox: () => world.inbox });
  });
  afterAll(() => servers?.close());

  it('the app and the key manager are different origins, and the app may frame only the key manager', async () => {
    expect(servers.appOrigin).not.toBe(servers.keyManagerOrigin);
    const page = await fetch(servers.appUrl);
    expect(page.headers.get('content-security-policy')).toContain(`frame-src ${servers.keyManagerOrigin};`);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('the key manager may be framed by the app only and may connect only to itself and the pack servers', async () => {
    const csp = (await fetch(servers.keyManagerUrl)).headers.get('content-security-policy');
    expect(csp).toContain(`frame-ancestors ${servers.appOrigin}`);
    expect(csp).toContain(`connect-src 'self' ${servers.packsOrigin};`);
    const config = parseKeyManagerConfig(await (await fetch(`${servers.keyManagerOrigin}/key-manager.json`)).json());
    expect(config.appOrigins).toEqual([servers.appOrigin]);
    expect(config.peers.map((p) => [p.orgId, p.pins[0]?.kid])).toEqual(world.orgs.map((o) => [o.orgId, o.root.kid]));
  });

  it('the pack servers grant CORS to the key manager origin only, not to the app or any other page', async () => {
    const url = `${servers.packsOrigin}/${ORG_A}/v1/packs/${NS}/${ORG_A}?since=0`;
    const asKeyManager = await fetch(url, { headers: { Origin: servers.keyManagerOrigin } });
    expect(asKeyManager.status).toBe(200);
    expect(asKeyManager.headers.get('access-control-allow-origin')).toBe(servers.keyManagerOrigin);
    expect(((await asKeyManager.json()) as { packs: unknown[] }).packs).toHaveLength(1);
    for (const origin of [servers.appOrigin, 'http://127.0.0.1:1']) {
      expect((await fetch(url, { headers: { Origin: origin } })).headers.get('access-control-allow-origin'), origin).toBeNull();
    }
  });

  it('the inbox holds messages signed by the demo organisations, one of them edited after signing', () => {
    expect(world.inbox.map((m) => [m.id, m.orgId, m.kid])).toEqual([
      ['m1', ORG_A, 'alice-laptop'],
      ['m2', ORG_A, 'bob-phone'],
      ['m3', ORG_A, 'carol-2025'],
      ['m4', 'org-c.example', 'dave-desktop'],
      ['m5', ORG_A, 'alice-laptop'],
    ]);
    expect(world.inbox[4]!.signature).toBe(world.inbox[0]!.signature);
  });
});
