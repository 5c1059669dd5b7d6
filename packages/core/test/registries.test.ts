import { describe, expect, it } from 'vitest';
import { memoryStorage } from '@anchorsync/storage-memory';
import {
  addSigner,
  applyAnchorPack,
  bytesToB64u,
  generateKeyPair,
  getAnchors,
  getSigner,
  getSignerSecret,
  getSyncState,
  isAnchorSyncError,
  listSigners,
  listTrustAnchors,
  pinTrustAnchor,
  publicKeyOf,
  retireSigner,
  revokeSigner,
  setAnchors,
  setSyncState,
  storageKeys,
  unpinTrustAnchor,
  type SyncState,
} from '@anchorsync/core';
import { anchorOf, iso, makeClient, makeOrg, NS, snapshot, T0, testClock } from './helpers.ts';

async function codeOf(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (e) {
    return isAnchorSyncError(e) ? e.code : `not an AnchorSyncError: ${String(e)}`;
  }
  return undefined;
}

describe('signer registry', () => {
  it('addSigner stores an ACTIVE record stamped by the clock and getSigner returns it', async () => {
    const storage = memoryStorage();
    const clock = testClock();
    const { secretKey, publicKey } = generateKeyPair();
    const record = await addSigner(storage, { kid: 'root', secretKey, clock });
    expect(record).toEqual({ kid: 'root', pubB64u: bytesToB64u(publicKey), status: 'ACTIVE', createdAt: iso(T0), updatedAt: iso(T0) });
    expect(await getSigner(storage, 'root')).toEqual(record);
    expect(await getSigner(storage, 'nobody')).toBeUndefined();
  });

  it('a generated signer gets a kid from its public key and a secret that matches it', async () => {
    const storage = memoryStorage();
    const record = await addSigner(storage);
    expect(record.kid).toBe(record.pubB64u.slice(0, 16));
    const secret = await getSignerSecret(storage, record.kid);
    expect(bytesToB64u(publicKeyOf(secret))).toBe(record.pubB64u);
  });

  it('getSignerSecret returns exactly the imported secret key', async () => {
    const storage = memoryStorage();
    const { secretKey } = generateKeyPair();
    await addSigner(storage, { kid: 'root', secretKey });
    expect(await getSignerSecret(storage, 'root')).toEqual(secretKey);
  });

  it('listSigners returns public records only, sorted by kid, and never a secret key', async () => {
    const storage = memoryStorage();
    const secrets: string[] = [];
    for (const kid of ['zeta', 'alpha', 'mid']) {
      const { secretKey } = generateKeyPair();
      secrets.push(bytesToB64u(secretKey));
      await addSigner(storage, { kid, secretKey });
    }
    const listed = await listSigners(storage);
    expect(listed.map((s) => s.kid)).toEqual(['alpha', 'mid', 'zeta']);
    for (const s of listed) expect(Object.keys(s).sort()).toEqual(['createdAt', 'kid', 'pubB64u', 'status', 'updatedAt']);
    const text = JSON.stringify(listed);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('a second signer with a used kid is refused with ERR_SIGNER and the first is kept', async () => {
    const storage = memoryStorage();
    const first = await addSigner(storage, { kid: 'root' });
    const before = await snapshot(storage);
    expect(await codeOf(() => addSigner(storage, { kid: 'root' }))).toBe('ERR_SIGNER');
    expect(await snapshot(storage)).toEqual(before);
    expect(await getSigner(storage, 'root')).toEqual(first);
  });

  it('a kid that cannot be a storage key part is refused with ERR_INVALID_ARGUMENT', async () => {
    const storage = memoryStorage();
    expect(await codeOf(() => addSigner(storage, { kid: 'a:b' }))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(() => addSigner(storage, { kid: 'a/b' }))).toBe('ERR_INVALID_ARGUMENT');
    expect(await storage.list('')).toEqual([]);
  });

  it('retiring a signer marks it RETIRED at the clock time and deletes its secret key', async () => {
    const storage = memoryStorage();
    const clock = testClock();
    const { secretKey } = generateKeyPair();
    await addSigner(storage, { kid: 'root', secretKey, clock });
    expect(await storage.get(storageKeys.signerSecret('root'))).toBe(bytesToB64u(secretKey));
    clock.advance(60_000);
    const retired = await retireSigner(storage, 'root', { clock });
    expect(retired).toMatchObject({ status: 'RETIRED', createdAt: iso(T0), updatedAt: iso(T0 + 60_000) });
    expect(await getSigner(storage, 'root')).toEqual(retired);
    expect(await storage.get(storageKeys.signerSecret('root'))).toBeUndefined();
    const all = JSON.stringify(await snapshot(storage));
    expect(all).not.toContain(bytesToB64u(secretKey));
    expect(await codeOf(() => getSignerSecret(storage, 'root'))).toBe('ERR_SIGNER');
  });

  it('revoking a signer marks it REVOKED and deletes its secret key', async () => {
    const storage = memoryStorage();
    const { secretKey } = generateKeyPair();
    await addSigner(storage, { kid: 'root', secretKey });
    const revoked = await revokeSigner(storage, 'root');
    expect(revoked.status).toBe('REVOKED');
    expect(await storage.get(storageKeys.signerSecret('root'))).toBeUndefined();
    expect(JSON.stringify(await snapshot(storage))).not.toContain(bytesToB64u(secretKey));
    expect(await codeOf(() => getSignerSecret(storage, 'root'))).toBe('ERR_SIGNER');
  });

  it('signer status only moves forward: RETIRED -> REVOKED is allowed, REVOKED -> RETIRED and repeats are ERR_SIGNER', async () => {
    const storage = memoryStorage();
    await addSigner(storage, { kid: 'a' });
    await addSigner(storage, { kid: 'b' });
    await retireSigner(storage, 'a');
    expect(await codeOf(() => retireSigner(storage, 'a'))).toBe('ERR_SIGNER');
    expect((await revokeSigner(storage, 'a')).status).toBe('REVOKED');
    await revokeSigner(storage, 'b');
    expect(await codeOf(() => retireSigner(storage, 'b'))).toBe('ERR_SIGNER');
    expect(await codeOf(() => revokeSigner(storage, 'b'))).toBe('ERR_SIGNER');
    expect(await codeOf(() => retireSigner(storage, 'missing'))).toBe('ERR_SIGNER');
    expect((await listSigners(storage)).map((s) => s.status)).toEqual(['REVOKED', 'REVOKED']);
  });

  it('a stored secret that does not match the public key is ERR_STORAGE_CORRUPT, never used', async () => {
    const storage = memoryStorage();
    await addSigner(storage, { kid: 'root' });
    await storage.set(storageKeys.signerSecret('root'), bytesToB64u(generateKeyPair().secretKey));
    expect(await codeOf(() => getSignerSecret(storage, 'root'))).toBe('ERR_STORAGE_CORRUPT');
    await storage.set(storageKeys.signerSecret('root'), 'not base64url!');
    expect(await codeOf(() => getSignerSecret(storage, 'root'))).toBe('ERR_STORAGE_CORRUPT');
  });

  it('a corrupt stored signer record is ERR_STORAGE_CORRUPT when listed', async () => {
    const storage = memoryStorage();
    await addSigner(storage, { kid: 'root' });
    await storage.set(storageKeys.signer('root'), { kid: 'root', status: 'ACTIVE' });
    expect(await codeOf(() => listSigners(storage))).toBe('ERR_STORAGE_CORRUPT');
    expect(await codeOf(() => getSigner(storage, 'root'))).toBe('ERR_STORAGE_CORRUPT');
  });
});

describe('trust anchor registry', () => {
  const key = () => bytesToB64u(generateKeyPair().publicKey);

  it('pinTrustAnchor stores the key with pinnedAt from the clock and listTrustAnchors returns it', async () => {
    const storage = memoryStorage();
    const pubB64u = key();
    const record = await pinTrustAnchor(storage, { ns: NS, orgId: 'org-a', kid: 'root', pubB64u }, { clock: testClock() });
    expect(record).toEqual({ ns: NS, orgId: 'org-a', kid: 'root', pubB64u, pinnedAt: iso(T0) });
    expect(await listTrustAnchors(storage, NS, 'org-a')).toEqual([record]);
  });

  it('listTrustAnchors filters by ns and by (ns, orgId), and an org id that is a prefix of another does not match it', async () => {
    const storage = memoryStorage();
    await pinTrustAnchor(storage, { ns: NS, orgId: 'org-a', kid: 'k2', pubB64u: key() });
    await pinTrustAnchor(storage, { ns: NS, orgId: 'org-a', kid: 'k1', pubB64u: key() });
    await pinTrustAnchor(storage, { ns: NS, orgId: 'org-ab', kid: 'k1', pubB64u: key() });
    await pinTrustAnchor(storage, { ns: 'staging', orgId: 'org-a', kid: 'k1', pubB64u: key() });
    expect((await listTrustAnchors(storage, NS, 'org-a')).map((t) => t.kid)).toEqual(['k1', 'k2']);
    expect((await listTrustAnchors(storage, NS)).map((t) => `${t.orgId}/${t.kid}`)).toEqual(['org-a/k1', 'org-a/k2', 'org-ab/k1']);
    expect(await listTrustAnchors(storage)).toHaveLength(4);
    expect(await listTrustAnchors(storage, 'staging', 'org-ab')).toEqual([]);
  });

  it('unpinTrustAnchor removes a pinned key and says whether there was one', async () => {
    const storage = memoryStorage();
    await pinTrustAnchor(storage, { ns: NS, orgId: 'org-a', kid: 'root', pubB64u: key() });
    await pinTrustAnchor(storage, { ns: NS, orgId: 'org-a', kid: 'other', pubB64u: key() });
    expect(await unpinTrustAnchor(storage, NS, 'org-a', 'root')).toBe(true);
    expect((await listTrustAnchors(storage, NS, 'org-a')).map((t) => t.kid)).toEqual(['other']);
    expect(await unpinTrustAnchor(storage, NS, 'org-a', 'root')).toBe(false);
  });

  it.each([
    ['the identity point', new Uint8Array(32).map((_, i) => (i === 0 ? 1 : 0))],
    ['the point of order 2', new Uint8Array(32).map((_, i) => (i === 0 ? 0xec : i === 31 ? 0x7f : 0xff))],
    ['the all-zero encoding (order 4)', new Uint8Array(32)],
  ])('pinning a small-order key (%s) is refused with ERR_INVALID_ARGUMENT and nothing is stored', async (_name, bytes) => {
    const storage = memoryStorage();
    expect(await codeOf(() => pinTrustAnchor(storage, { ns: NS, orgId: 'org-a', kid: 'root', pubB64u: bytesToB64u(bytes) }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(await storage.list('')).toEqual([]);
  });

  it('pinning malformed input (padded base64url, short key, bad ids) is refused with ERR_INVALID_ARGUMENT', async () => {
    const storage = memoryStorage();
    const good = key();
    const pin = (a: Partial<{ ns: string; orgId: string; kid: string; pubB64u: string }>) =>
      codeOf(() => pinTrustAnchor(storage, { ns: NS, orgId: 'org-a', kid: 'root', pubB64u: good, ...a }));
    expect(await pin({ pubB64u: `${good}=` })).toBe('ERR_INVALID_ARGUMENT');
    expect(await pin({ pubB64u: good.slice(0, 40) })).toBe('ERR_INVALID_ARGUMENT');
    expect(await pin({ orgId: 'org:a' })).toBe('ERR_INVALID_ARGUMENT');
    expect(await pin({ kid: '' })).toBe('ERR_INVALID_ARGUMENT');
    expect(await storage.list('')).toEqual([]);
  });

  it('a corrupt stored trust anchor is ERR_STORAGE_CORRUPT when listed', async () => {
    const storage = memoryStorage();
    await storage.set(storageKeys.trustAnchor(NS, 'org-a', 'root'), { ns: NS, orgId: 'org-a', kid: 'root', pubB64u: 'x' });
    expect(await codeOf(() => listTrustAnchors(storage, NS, 'org-a'))).toBe('ERR_STORAGE_CORRUPT');
  });
});

describe('peer anchors and sync state registry', () => {
  const pub = () => bytesToB64u(generateKeyPair().publicKey);
  const state: SyncState = {
    ns: NS,
    orgId: 'org-a',
    seq: 4,
    hash: bytesToB64u(new Uint8Array(32).fill(9)),
    issuedAt: iso(T0),
    expiresAt: iso(T0 + 1000),
    lastSyncAt: iso(T0),
  };

  it('a peer with nothing stored has no anchors and no sync state', async () => {
    const storage = memoryStorage();
    expect(await getAnchors(storage, NS, 'org-a')).toEqual([]);
    expect(await getSyncState(storage, NS, 'org-a')).toBeUndefined();
  });

  it('setAnchors stores under fed:anchors:<ns>:<orgId> sorted by kid and getAnchors reads them back', async () => {
    const storage = memoryStorage();
    const b = anchorOf('org-a', 'b', pub());
    const a = anchorOf('org-a', 'a', pub(), 'REVOKED');
    await setAnchors(storage, NS, 'org-a', [b, a]);
    expect(await storage.list('')).toEqual(['fed:anchors:prod:org-a']);
    expect(await getAnchors(storage, NS, 'org-a')).toEqual([a, b]);
    expect(await getAnchors(storage, NS, 'org-b')).toEqual([]);
  });

  it('setSyncState stores under fed:anchors:__state__:<ns>:<orgId> and getSyncState reads it back', async () => {
    const storage = memoryStorage();
    await setSyncState(storage, { ...state, token: 'p1.Mg', nextSyncAt: iso(T0 + 5000) });
    expect(await storage.list('')).toEqual(['fed:anchors:__state__:prod:org-a']);
    expect(await getSyncState(storage, NS, 'org-a')).toEqual({ ...state, token: 'p1.Mg', nextSyncAt: iso(T0 + 5000) });
  });

  it('setAnchors refuses a malformed anchor and writes nothing', async () => {
    const storage = memoryStorage();
    const bad = { ...anchorOf('org-a', 'a', pub()), status: 'LOST' } as never;
    await expect(setAnchors(storage, NS, 'org-a', [bad])).rejects.toMatchObject({ name: 'AnchorSyncError' });
    expect(await storage.list('')).toEqual([]);
  });

  it.each([
    ['a string', 'garbage'],
    ['an object', { kid: 'a' }],
    ['an anchor with a bad status', [{ ...anchorOf('org-a', 'a', bytesToB64u(new Uint8Array(32).fill(1))), status: 'GONE' }]],
    ['an anchor with a short key', [anchorOf('org-a', 'a', 'AAAA')]],
  ])('a stored anchors value that is %s reads as ERR_STORAGE_CORRUPT', async (_name, value) => {
    const storage = memoryStorage();
    await storage.set(storageKeys.anchors(NS, 'org-a'), value as never);
    expect(await codeOf(() => getAnchors(storage, NS, 'org-a'))).toBe('ERR_STORAGE_CORRUPT');
  });

  it.each([
    ['a number', 7],
    ['missing its hash', { ...state, hash: undefined }],
    ['with seq 0', { ...state, seq: 0 }],
    ['with an unknown member', { ...state, extra: true }],
    ['with a bad timestamp', { ...state, lastSyncAt: '2026-03-01' }],
  ])('a stored sync state that is %s reads as ERR_STORAGE_CORRUPT', async (_name, value) => {
    const storage = memoryStorage();
    await storage.set(storageKeys.syncState(NS, 'org-a'), JSON.parse(JSON.stringify(value)));
    expect(await codeOf(() => getSyncState(storage, NS, 'org-a'))).toBe('ERR_STORAGE_CORRUPT');
  });

  it('applying a pack over a corrupt stored sync state fails with ERR_STORAGE_CORRUPT and changes nothing', async () => {
    const clock = testClock();
    const org = await makeOrg('org-a', { clock });
    const client = makeClient(clock);
    await client.pin(org);
    const { pack } = await org.publish();
    await client.storage.set(storageKeys.syncState(NS, 'org-a'), { seq: 'one' });
    const before = await snapshot(client.storage);
    await expect(applyAnchorPack(client.ctx(), pack)).rejects.toMatchObject({ code: 'ERR_STORAGE_CORRUPT' });
    expect(await snapshot(client.storage)).toEqual(before);
    expect(client.events.some((e) => e.type === 'FED_ANCHOR_SYNC_REJECT' && e.code === 'ERR_STORAGE_CORRUPT')).toBe(true);
  });
});
