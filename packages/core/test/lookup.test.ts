import { describe, expect, it } from 'vitest';
import { memoryStorage } from '@anchorsync/storage-memory';
import {
  addSigner,
  bytesToB64u,
  ed25519Sign,
  generateKeyPair,
  getSignerSecret,
  isAnchorSyncError,
  packSignatureMessage,
  setAnchors,
  setSyncState,
  utf8,
  type Anchor,
  type AnchorStatus,
  type StorageDriver,
} from '@anchorsync/core';
import { judgeAnchor, resolvePeerKey, verifyPeerMessage } from '../src/lookup.ts';

const NS = 'prod';
const ORG = 'org-a';
const CREATED = '2026-01-01T00:00:00.000Z';
const RETIRED_AT = '2026-03-01T00:00:00.000Z';
const RETIRED_MS = Date.parse(RETIRED_AT);
const NOW = Date.parse('2026-04-01T00:00:00.000Z');
const EXPIRES = '2026-05-01T00:00:00.000Z';

function anchor(kid: string, pubB64u: string, status: AnchorStatus): Anchor {
  return { orgId: ORG, kid, pubB64u, status, createdAt: CREATED, updatedAt: status === 'ACTIVE' ? CREATED : RETIRED_AT };
}

async function peer(expiresAt = EXPIRES) {
  const storage = memoryStorage();
  const keys = { active: generateKeyPair(), retired: generateKeyPair(), revoked: generateKeyPair() };
  await setAnchors(storage, NS, ORG, [
    anchor('k-active', bytesToB64u(keys.active.publicKey), 'ACTIVE'),
    anchor('k-retired', bytesToB64u(keys.retired.publicKey), 'RETIRED'),
    anchor('k-revoked', bytesToB64u(keys.revoked.publicKey), 'REVOKED'),
  ]);
  await setSyncState(storage, {
    ns: NS,
    orgId: ORG,
    seq: 3,
    hash: bytesToB64u(new Uint8Array(32).fill(7)),
    issuedAt: CREATED,
    expiresAt,
    lastSyncAt: CREATED,
  });
  return { storage, keys };
}

async function reason(storage: StorageDriver, kid: string, options: Parameters<typeof resolvePeerKey>[4] = {}) {
  const r = await resolvePeerKey(storage, NS, ORG, kid, { now: NOW, ...options });
  return r.usable ? 'USABLE' : r.reason;
}

describe('resolvePeerKey', () => {
  it('an ACTIVE key of a fresh peer is usable, with or without signedAt', async () => {
    const { storage } = await peer();
    const r = await resolvePeerKey(storage, NS, ORG, 'k-active', { now: NOW });
    expect(r.usable).toBe(true);
    expect(r.anchor?.kid).toBe('k-active');
    expect(await reason(storage, 'k-active', { signedAt: NOW - 1000 })).toBe('USABLE');
  });

  it('an org with neither sync state nor anchors is UNKNOWN_ORG', async () => {
    const { storage } = await peer();
    expect(await resolvePeerKey(storage, NS, 'org-b', 'k-active', { now: NOW })).toEqual({ usable: false, reason: 'UNKNOWN_ORG' });
    expect(await resolvePeerKey(storage, 'staging', ORG, 'k-active', { now: NOW })).toEqual({ usable: false, reason: 'UNKNOWN_ORG' });
  });

  it('a known org without that kid is UNKNOWN_KID', async () => {
    const { storage } = await peer();
    expect(await resolvePeerKey(storage, NS, ORG, 'k-nope', { now: NOW })).toEqual({ usable: false, reason: 'UNKNOWN_KID' });
  });

  it('an org known only by its sync state (no anchors) answers UNKNOWN_KID, not UNKNOWN_ORG', async () => {
    const storage = memoryStorage();
    await setSyncState(storage, { ns: NS, orgId: ORG, seq: 1, hash: bytesToB64u(new Uint8Array(32)), issuedAt: CREATED, expiresAt: EXPIRES, lastSyncAt: CREATED });
    expect(await reason(storage, 'k-active')).toBe('UNKNOWN_KID');
  });

  it('an org known only by its anchors (no sync state) is never stale', async () => {
    const storage = memoryStorage();
    await setAnchors(storage, NS, ORG, [anchor('k1', bytesToB64u(generateKeyPair().publicKey), 'ACTIVE')]);
    expect(await reason(storage, 'k1', { now: Date.parse('2099-01-01T00:00:00.000Z') })).toBe('USABLE');
  });

  it('a REVOKED key is never usable: not for old signatures, not with allowStale, not for a stale peer', async () => {
    const { storage } = await peer();
    const r = await resolvePeerKey(storage, NS, ORG, 'k-revoked', { now: NOW, signedAt: Date.parse(CREATED) });
    expect(r).toMatchObject({ usable: false, reason: 'REVOKED', anchor: { kid: 'k-revoked' } });
    expect(await reason(storage, 'k-revoked', { allowStale: true })).toBe('REVOKED');
    const stale = (await peer('2026-02-01T00:00:00.000Z')).storage;
    expect(await reason(stale, 'k-revoked')).toBe('REVOKED');
    expect(await reason(stale, 'k-revoked', { allowStale: true })).toBe('REVOKED');
  });

  it('a RETIRED key is usable only for signatures made strictly before its retirement', async () => {
    const { storage } = await peer();
    expect(await reason(storage, 'k-retired', { signedAt: RETIRED_MS - 1 })).toBe('USABLE');
    expect(await reason(storage, 'k-retired', { signedAt: '2026-02-28T23:59:59.999Z' })).toBe('USABLE');
    expect(await reason(storage, 'k-retired', { signedAt: RETIRED_MS })).toBe('RETIRED');
    expect(await reason(storage, 'k-retired', { signedAt: RETIRED_AT })).toBe('RETIRED');
    expect(await reason(storage, 'k-retired', { signedAt: RETIRED_MS + 1 })).toBe('RETIRED');
  });

  it('a RETIRED key without signedAt is refused, with the anchor for context', async () => {
    const { storage } = await peer();
    const r = await resolvePeerKey(storage, NS, ORG, 'k-retired', { now: NOW });
    expect(r).toMatchObject({ usable: false, reason: 'RETIRED', anchor: { kid: 'k-retired', status: 'RETIRED' } });
  });

  it('a signedAt later than now is not trusted for a RETIRED key', async () => {
    // Retirement itself lies in the future of this clock (peer clock ahead of ours).
    const { storage } = await peer();
    const early = Date.parse('2026-02-01T00:00:00.000Z');
    expect(await reason(storage, 'k-retired', { now: early, signedAt: early - 1 })).toBe('USABLE');
    expect(await reason(storage, 'k-retired', { now: early, signedAt: early + 1 })).toBe('RETIRED');
  });

  it('signedAt accepts RFC 3339 with offsets and other fraction lengths', async () => {
    const { storage } = await peer();
    expect(await reason(storage, 'k-retired', { signedAt: '2026-03-01T00:59:59+01:00' })).toBe('USABLE');
    expect(await reason(storage, 'k-retired', { signedAt: '2026-03-01T01:00:00+01:00' })).toBe('RETIRED');
    expect(await reason(storage, 'k-retired', { signedAt: '2026-02-28T23:59:59.999999Z' })).toBe('USABLE');
    expect(await reason(storage, 'k-retired', { signedAt: '2026-02-28T20:00:00-04:00' })).toBe('RETIRED');
  });

  it('a peer whose last pack expired is STALE, even for an ACTIVE key; allowStale lifts it', async () => {
    const { storage } = await peer('2026-03-15T00:00:00.000Z');
    const r = await resolvePeerKey(storage, NS, ORG, 'k-active', { now: NOW });
    expect(r).toMatchObject({ usable: false, reason: 'STALE', anchor: { kid: 'k-active' } });
    expect(await reason(storage, 'k-retired', { signedAt: RETIRED_MS - 1 })).toBe('STALE');
    expect(await reason(storage, 'k-active', { allowStale: true })).toBe('USABLE');
    expect(await reason(storage, 'k-retired', { allowStale: true, signedAt: RETIRED_MS - 1 })).toBe('USABLE');
    expect(await reason(storage, 'k-retired', { allowStale: true, signedAt: RETIRED_MS })).toBe('RETIRED');
  });

  it('unknown ids win over STALE', async () => {
    const { storage } = await peer('2026-03-15T00:00:00.000Z');
    expect(await reason(storage, 'k-nope')).toBe('UNKNOWN_KID');
  });

  it('a pack is stale from the instant it expires', async () => {
    const { storage } = await peer();
    expect(await reason(storage, 'k-active', { now: Date.parse(EXPIRES) - 1 })).toBe('USABLE');
    expect(await reason(storage, 'k-active', { now: Date.parse(EXPIRES) })).toBe('STALE');
  });

  it('malformed ids, signedAt and now throw ERR_INVALID_ARGUMENT', async () => {
    const { storage } = await peer();
    const bad = [
      () => resolvePeerKey(storage, NS, ORG, 'has space', { now: NOW }),
      () => resolvePeerKey(storage, 'a:b', ORG, 'k-active', { now: NOW }),
      () => resolvePeerKey(storage, NS, '', 'k-active', { now: NOW }),
      () => resolvePeerKey(storage, NS, ORG, 'k-retired', { now: NOW, signedAt: 'yesterday' }),
      () => resolvePeerKey(storage, NS, ORG, 'k-retired', { now: NOW, signedAt: '2026-02-30T00:00:00.000Z' }),
      () => resolvePeerKey(storage, NS, ORG, 'k-retired', { now: NOW, signedAt: Number.NaN }),
      () => resolvePeerKey(storage, NS, ORG, 'k-active', { now: Number.POSITIVE_INFINITY }),
    ];
    for (const call of bad) {
      const error = await call().then(() => undefined, (e: unknown) => e);
      expect(isAnchorSyncError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
    }
  });
});

describe('judgeAnchor', () => {
  it('is pure: the same anchor and times give the same answer', () => {
    const a = anchor('k', bytesToB64u(generateKeyPair().publicKey), 'RETIRED');
    expect(judgeAnchor(a, { now: NOW, signedAt: RETIRED_MS - 1 })).toEqual({ usable: true, anchor: a });
    expect(judgeAnchor(a, { now: NOW })).toEqual({ usable: false, reason: 'RETIRED', anchor: a });
    expect(judgeAnchor(undefined, { now: NOW })).toEqual({ usable: false, reason: 'UNKNOWN_KID' });
  });
});

describe('verifyPeerMessage', () => {
  async function withSigner() {
    const { storage, keys } = await peer();
    const local = memoryStorage();
    const signer = await addSigner(local, { kid: 'k-signer' });
    const secret = await getSignerSecret(local, 'k-signer');
    const anchors = [
      anchor('k-active', bytesToB64u(keys.active.publicKey), 'ACTIVE'),
      anchor('k-retired', bytesToB64u(keys.retired.publicKey), 'RETIRED'),
      anchor('k-revoked', bytesToB64u(keys.revoked.publicKey), 'REVOKED'),
      anchor('k-signer', signer.pubB64u, 'ACTIVE'),
    ];
    await setAnchors(storage, NS, ORG, anchors);
    return { storage, keys, secret };
  }
  const base = { ns: NS, orgId: ORG };
  const message = 'transfer 10 EUR to bob';

  it('a real signature by an ACTIVE peer key verifies (string and byte inputs)', async () => {
    const { storage, secret } = await withSigner();
    const sig = ed25519Sign(utf8(message), secret);
    const v1 = await verifyPeerMessage(storage, { ...base, kid: 'k-signer', message, signature: bytesToB64u(sig) }, { now: NOW });
    expect(v1).toMatchObject({ ok: true, anchor: { kid: 'k-signer' } });
    const v2 = await verifyPeerMessage(storage, { ...base, kid: 'k-signer', message: utf8(message), signature: sig }, { now: NOW });
    expect(v2.ok).toBe(true);
  });

  it('a pack signature (or anything the SDK itself signs, "anchorsync/..." bytes) never verifies as a message from the peer', async () => {
    const { storage, secret } = await withSigner();
    const packMessage = packSignatureMessage(new Uint8Array(32).fill(7));
    const asMessage = await verifyPeerMessage(storage, { ...base, kid: 'k-signer', message: packMessage, signature: ed25519Sign(packMessage, secret) }, { now: NOW });
    expect(asMessage).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
    const text = 'anchorsync/anything';
    const asText = await verifyPeerMessage(storage, { ...base, kid: 'k-signer', message: text, signature: ed25519Sign(utf8(text), secret) }, { now: NOW });
    expect(asText).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
    // The same key's signature over ordinary bytes still verifies.
    const plain = 'anchorsync is a library';
    expect((await verifyPeerMessage(storage, { ...base, kid: 'k-signer', message: plain, signature: ed25519Sign(utf8(plain), secret) }, { now: NOW })).ok).toBe(true);
  });

  it('a tampered message is BAD_SIGNATURE', async () => {
    const { storage, secret } = await withSigner();
    const signature = bytesToB64u(ed25519Sign(utf8(message), secret));
    const v = await verifyPeerMessage(storage, { ...base, kid: 'k-signer', message: 'transfer 99 EUR to bob', signature }, { now: NOW });
    expect(v).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  it('a signature checked against another kid of the org is BAD_SIGNATURE', async () => {
    const { storage, secret } = await withSigner();
    const signature = bytesToB64u(ed25519Sign(utf8(message), secret));
    const v = await verifyPeerMessage(storage, { ...base, kid: 'k-active', message, signature }, { now: NOW });
    expect(v).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE', anchor: { kid: 'k-active' } });
  });

  it('an unknown kid or org answers before the signature is looked at', async () => {
    const { storage } = await withSigner();
    expect(await verifyPeerMessage(storage, { ...base, kid: 'k-nope', message, signature: '!!' }, { now: NOW })).toEqual({ ok: false, reason: 'UNKNOWN_KID' });
    expect(await verifyPeerMessage(storage, { ns: NS, orgId: 'org-z', kid: 'k-signer', message, signature: '' }, { now: NOW })).toEqual({
      ok: false,
      reason: 'UNKNOWN_ORG',
    });
  });

  it('malformed base64url and wrong-length signatures are BAD_SIGNATURE, never a throw', async () => {
    const { storage, secret } = await withSigner();
    const sig = ed25519Sign(utf8(message), secret);
    const good = bytesToB64u(sig);
    for (const signature of [good + '=', good.replace(/.$/, '*'), `${good.slice(0, -1)}B`, '', bytesToB64u(sig.subarray(0, 63)), bytesToB64u(new Uint8Array([...sig, 0]))]) {
      const v = await verifyPeerMessage(storage, { ...base, kid: 'k-signer', message, signature }, { now: NOW });
      expect(v).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
    }
    for (const signature of [sig.subarray(0, 63), new Uint8Array(65), new Uint8Array(0)]) {
      const v = await verifyPeerMessage(storage, { ...base, kid: 'k-signer', message, signature }, { now: NOW });
      expect(v).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
    }
  });

  it("a revoked key's valid signature is refused as REVOKED", async () => {
    const { storage, keys } = await withSigner();
    const signature = ed25519Sign(utf8(message), keys.revoked.secretKey);
    for (const options of [{ now: NOW }, { now: NOW, allowStale: true }]) {
      const v = await verifyPeerMessage(storage, { ...base, kid: 'k-revoked', message, signature, signedAt: Date.parse(CREATED) }, options);
      expect(v).toMatchObject({ ok: false, reason: 'REVOKED' });
    }
  });

  it("a retired key's signature counts only when signedAt is before its retirement", async () => {
    const { storage, keys } = await withSigner();
    const signature = ed25519Sign(utf8(message), keys.retired.secretKey);
    const input = { ...base, kid: 'k-retired', message, signature };
    expect((await verifyPeerMessage(storage, { ...input, signedAt: RETIRED_MS - 1 }, { now: NOW })).ok).toBe(true);
    expect(await verifyPeerMessage(storage, { ...input, signedAt: RETIRED_AT }, { now: NOW })).toMatchObject({ ok: false, reason: 'RETIRED' });
    expect(await verifyPeerMessage(storage, input, { now: NOW })).toMatchObject({ ok: false, reason: 'RETIRED' });
  });

  it('a stale peer is refused unless allowStale', async () => {
    const { storage, keys } = await withSigner();
    const signature = ed25519Sign(utf8(message), keys.active.secretKey);
    const input = { ...base, kid: 'k-active', message, signature };
    const later = Date.parse(EXPIRES) + 1;
    expect(await verifyPeerMessage(storage, input, { now: later })).toMatchObject({ ok: false, reason: 'STALE' });
    expect((await verifyPeerMessage(storage, input, { now: later, allowStale: true })).ok).toBe(true);
  });

  it('a stored key that is a small-order point is BAD_KEY', async () => {
    const storage = memoryStorage();
    // The identity point (y = 1) has order 1: it "verifies" forged signatures under lax checks.
    const identity = new Uint8Array(32);
    identity[0] = 1;
    await setAnchors(storage, NS, ORG, [anchor('k-weak', bytesToB64u(identity), 'ACTIVE')]);
    const signature = new Uint8Array(64);
    signature[0] = 1;
    const v = await verifyPeerMessage(storage, { ...base, kid: 'k-weak', message, signature }, { now: NOW });
    expect(v).toMatchObject({ ok: false, reason: 'BAD_KEY' });
  });

  it('malformed ids and signedAt throw ERR_INVALID_ARGUMENT', async () => {
    const { storage } = await withSigner();
    const calls = [
      verifyPeerMessage(storage, { ...base, kid: 'bad/kid', message, signature: '' }),
      verifyPeerMessage(storage, { ...base, kid: 'k-retired', message, signature: '', signedAt: 'soon' }),
    ];
    for (const call of calls) {
      const error = await call.then(() => undefined, (e: unknown) => e);
      expect(isAnchorSyncError(error, 'ERR_INVALID_ARGUMENT')).toBe(true);
    }
  });
});
