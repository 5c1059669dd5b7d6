// Key names are blinded: the storage provider sees neither organisation ids,
// kids, namespaces nor public keys, in key names or in values, while
// `list(prefix)` keeps working for every prefix that ends at a ':' boundary.
import {
  addSigner,
  bytesToB64u,
  getAnchors,
  loopbackTransport,
  pinTrustAnchor,
  publishAnchorPack,
  revokeSigner,
  runAnchorSync,
  storageKeys,
  type JsonValue,
  type StorageDriver,
} from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { describe, expect, it } from 'vitest';
import { encryptedStorage } from '../src/index.ts';
import { dump, expectCode, testKey } from './helpers.ts';

const NS = 'production-eu';
const ORG = 'org-alpha-7f3';
const KIDS = ['signing-root-2026', 'chat-key-2026', 'chat-key-2027'] as const;
const INNER_KEY = /^e2[A-Za-z0-9_-]{11}(:[A-Za-z0-9_-]{22})+$/;

function strings(value: unknown, out: Set<string>): Set<string> {
  if (typeof value === 'string') out.add(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) strings(v, out.add(k));
  return out;
}

/** Every real key segment and string leaf (of 6+ characters) a wrapper holds: what must never show. */
async function secretsOf(storage: StorageDriver): Promise<Set<string>> {
  const found = new Set<string>();
  for (const key of await storage.list('')) {
    for (const segment of key.split(':')) found.add(segment);
    strings(await storage.get(key), found);
  }
  return new Set([...found].filter((s) => s.length >= 6));
}

describe('blinded key names', () => {
  it('after a full publish, sync, revoke and re-sync, neither store shows an id, kid, key, signature or date', async () => {
    const publisherInner = memoryStorage();
    const clientInner = memoryStorage();
    const publisher = encryptedStorage(publisherInner, { key: await testKey(1) });
    const client = encryptedStorage(clientInner, { key: await testKey(2) });
    let now = Date.parse('2026-11-25T12:00:00.000Z');
    const clock = () => (now += 1000);
    const secret = new Uint8Array(32).fill(7);
    const root = await addSigner(publisher, { kid: KIDS[0], secretKey: secret, clock });
    await addSigner(publisher, { kid: KIDS[1], secretKey: new Uint8Array(32).fill(8), clock });
    await publishAnchorPack({ storage: publisher, ns: NS, orgId: ORG, clock });
    await pinTrustAnchor(client, { ns: NS, orgId: ORG, kid: KIDS[0], pubB64u: root.pubB64u }, { clock });
    const peers = [{ ns: NS, orgId: ORG }];
    const policy = { ops: { apply: { allow: [ORG], dailyCap: 10 } } };
    const transport = loopbackTransport(publisher, { pageSize: 1 });
    expect((await runAnchorSync({ storage: client, transport, peers, clock, policy }))[0]).toMatchObject({ ok: true, added: 2 });
    await revokeSigner(publisher, KIDS[1], { clock });
    await addSigner(publisher, { kid: KIDS[2], secretKey: new Uint8Array(32).fill(9), clock });
    await publishAnchorPack({ storage: publisher, ns: NS, orgId: ORG, clock });
    expect((await runAnchorSync({ storage: client, transport, peers, clock, policy, force: true }))[0]).toMatchObject({ ok: true, revoked: 1 });
    expect(await getAnchors(client, NS, ORG)).toEqual(await getAnchors(publisher, NS, ORG));

    for (const [wrapper, inner] of [[publisher, publisherInner], [client, clientInner]] as const) {
      const raw = await dump(inner);
      const text = JSON.stringify(raw);
      const hidden = await secretsOf(wrapper);
      // The list is not empty by accident: it holds what the run wrote.
      for (const s of [NS, ORG, KIDS[0], root.pubB64u, 'anchors']) expect(hidden).toContain(s);
      if (wrapper === publisher) expect(hidden).toContain(bytesToB64u(secret));
      for (const s of hidden) expect(text.includes(s), `provider sees ${s}`).toBe(false);
      expect(text).not.toContain('fed:');
      for (const [key, value] of Object.entries(raw)) {
        expect(key).toMatch(INNER_KEY);
        expect(Object.keys(JSON.parse(value) as object).sort()).toEqual(['c', 'n', 'v']);
      }
    }
  });

  it('a path shares its blinded prefix with its parent, but the same segment elsewhere blinds differently', async () => {
    const inner = memoryStorage();
    const storage = encryptedStorage(inner, { key: await testKey(1) });
    const names = [storageKeys.anchors(NS, ORG), storageKeys.syncState(NS, ORG), storageKeys.packPrefix(NS, ORG) + '1'];
    const blinded: string[][] = [];
    for (const name of names) {
      const before = new Set(await inner.list(''));
      await storage.set(name, 1);
      blinded.push((await inner.list('')).find((k) => !before.has(k))!.split(':'));
    }
    const [anchors, state, pack] = blinded as [string[], string[], string[]];
    // fed:anchors:<ns>:<org> and fed:anchors:__state__:<ns>:<org> share `<tag>:fed:anchors`.
    expect(state.slice(0, 3)).toEqual(anchors.slice(0, 3));
    // <ns> and <org> appear in all three, yet blind to different segments each time.
    expect(new Set([anchors[3], state[4], pack[3]]).size).toBe(3);
    expect(new Set([anchors[4], state[5], pack[4]]).size).toBe(3);
  });

  it('two master keys give unrelated inner names for the same real name', async () => {
    const inner = memoryStorage();
    await encryptedStorage(inner, { key: await testKey(1) }).set('fed:signers:root', 1);
    await encryptedStorage(inner, { key: await testKey(2) }).set('fed:signers:root', 1);
    const [a, b] = (await inner.list('')).map((k) => k.split(':'));
    expect(a).toHaveLength(4);
    for (let i = 0; i < 4; i++) expect(a![i]).not.toBe(b![i]);
  });

  it('list works for every prefix ending at a segment boundary and returns real names, sorted', async () => {
    const storage = encryptedStorage(memoryStorage(), { key: await testKey(1) });
    const names = ['fed:', 'fed::x', 'fed:a', 'fed:a:', 'fed:a:b', 'fed:ab:c', 'other:a', 'fed'];
    for (const name of names) await storage.set(name, name as JsonValue);
    expect(await storage.list('')).toEqual([...names].sort());
    expect(await storage.list('fed:')).toEqual(names.filter((n) => n.startsWith('fed:')).sort());
    expect(await storage.list('fed:a:')).toEqual(['fed:a:', 'fed:a:b']);
    expect(await storage.list('fed::')).toEqual(['fed::x']);
    for (const name of names) expect(await storage.get(name)).toBe(name);
  });

  it('a prefix that does not end at a segment boundary is ERR_INVALID_ARGUMENT, and the SDK never uses one', async () => {
    const inner = memoryStorage();
    const storage = encryptedStorage(inner, { key: await testKey(1) });
    await storage.set('fed:packs:prod:org-a:1', 1);
    const before = await dump(inner);
    for (const prefix of ['fed', 'fed:pa', 'fed:packs:prod:org']) await expectCode(storage.list(prefix), 'ERR_INVALID_ARGUMENT');
    await expectCode(storage.list(42 as unknown as string), 'ERR_INVALID_ARGUMENT');
    expect(await dump(inner)).toEqual(before);
    const sdkPrefixes = [
      storageKeys.signerPrefix,
      storageKeys.policyPrefix,
      storageKeys.trustPrefix(),
      storageKeys.trustPrefix(NS),
      storageKeys.trustPrefix(NS, ORG),
      storageKeys.packPrefix(NS, ORG),
      storageKeys.evidencePrefix(NS, ORG),
    ];
    for (const prefix of sdkPrefixes) expect(prefix.endsWith(':'), prefix).toBe(true);
  });
});
