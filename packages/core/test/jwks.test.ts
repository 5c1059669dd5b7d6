import { describe, expect, it } from 'vitest';
import { CompactSign, compactVerify, createLocalJWKSet, importJWK } from 'jose';
import { memoryStorage } from '@anchorsync/storage-memory';
import { bytesToB64u, generateKeyPair, isAnchorSyncError, setAnchors, type Anchor, type AnchorStatus } from '@anchorsync/core';
import { anchorsToJwks, exportPeerJwks } from '../src/jwks.ts';

const NS = 'prod';
const ORG = 'org-a';
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-03-01T00:00:00.000Z';

function anchor(kid: string, pubB64u: string, status: AnchorStatus): Anchor {
  return { orgId: ORG, kid, pubB64u, status, createdAt: T0, updatedAt: status === 'ACTIVE' ? T0 : T1 };
}

function peerKeys() {
  const active = generateKeyPair();
  const second = generateKeyPair();
  const retired = generateKeyPair();
  const revoked = generateKeyPair();
  const anchors = [
    anchor('k-zeta', bytesToB64u(second.publicKey), 'ACTIVE'),
    anchor('k-retired', bytesToB64u(retired.publicKey), 'RETIRED'),
    anchor('k-alpha', bytesToB64u(active.publicKey), 'ACTIVE'),
    anchor('k-revoked', bytesToB64u(revoked.publicKey), 'REVOKED'),
  ];
  return { active, second, retired, revoked, anchors };
}

async function signJws(secretKey: Uint8Array, publicKey: Uint8Array, kid: string, payload: string): Promise<string> {
  const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: bytesToB64u(publicKey), d: bytesToB64u(secretKey) }, 'EdDSA');
  return new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg: 'EdDSA', kid }).sign(key);
}

async function errorOf(run: () => unknown): Promise<unknown> {
  try {
    await run();
    return undefined;
  } catch (e) {
    return e;
  }
}

describe('anchorsToJwks', () => {
  it('exports only ACTIVE keys by default, as OKP Ed25519 JWKs sorted by kid', () => {
    const { anchors, active, second } = peerKeys();
    expect(anchorsToJwks(anchors)).toEqual({
      keys: [
        { kty: 'OKP', crv: 'Ed25519', x: bytesToB64u(active.publicKey), kid: 'k-alpha', alg: 'EdDSA', use: 'sig' },
        { kty: 'OKP', crv: 'Ed25519', x: bytesToB64u(second.publicKey), kid: 'k-zeta', alg: 'EdDSA', use: 'sig' },
      ],
    });
  });

  it('RETIRED keys are exported only when asked; REVOKED ones never', () => {
    const { anchors } = peerKeys();
    expect(anchorsToJwks(anchors, { include: ['ACTIVE', 'RETIRED'] }).keys.map((k) => k.kid)).toEqual(['k-alpha', 'k-retired', 'k-zeta']);
    expect(anchorsToJwks(anchors, { include: ['RETIRED'] }).keys.map((k) => k.kid)).toEqual(['k-retired']);
    expect(anchorsToJwks(anchors, { include: [] }).keys).toEqual([]);
  });

  it('asking for REVOKED keys, or an unknown status, throws ERR_INVALID_ARGUMENT', async () => {
    const { anchors } = peerKeys();
    for (const include of [['REVOKED'], ['ACTIVE', 'REVOKED'], ['EXPIRED']]) {
      const e = await errorOf(() => anchorsToJwks(anchors, { include: include as AnchorStatus[] }));
      expect(isAnchorSyncError(e, 'ERR_INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('two exported anchors with one kid would make kid lookup ambiguous and throw', async () => {
    const { anchors, second } = peerKeys();
    const twice = [...anchors, anchor('k-alpha', bytesToB64u(second.publicKey), 'ACTIVE')];
    expect(isAnchorSyncError(await errorOf(() => anchorsToJwks(twice)), 'ERR_INVALID_ARGUMENT')).toBe(true);
  });

  it('a small-order public key is left out: jose must not accept what anchorsync refuses', () => {
    const identity = new Uint8Array(32);
    identity[0] = 1;
    expect(anchorsToJwks([anchor('k-weak', bytesToB64u(identity), 'ACTIVE')]).keys).toEqual([]);
  });

  it('a malformed anchor throws ERR_INVALID_ARGUMENT', async () => {
    const bad = { ...anchor('k', 'AAAA', 'ACTIVE') };
    expect(isAnchorSyncError(await errorOf(() => anchorsToJwks([bad])), 'ERR_INVALID_ARGUMENT')).toBe(true);
  });
});

describe('exportPeerJwks with jose', () => {
  async function stored() {
    const storage = memoryStorage();
    const keys = peerKeys();
    await setAnchors(storage, NS, ORG, keys.anchors);
    return { storage, ...keys };
  }

  it('every exported key imports with jose importJWK', async () => {
    const { storage } = await stored();
    const jwks = await exportPeerJwks(storage, NS, ORG, { include: ['ACTIVE', 'RETIRED'] });
    expect(jwks.keys).toHaveLength(3);
    for (const jwk of jwks.keys) {
      const key = await importJWK(jwk, 'EdDSA');
      expect(key).toBeDefined();
    }
  });

  it('a JWS by an ACTIVE peer key verifies against createLocalJWKSet(export)', async () => {
    const { storage, active } = await stored();
    const jws = await signJws(active.secretKey, active.publicKey, 'k-alpha', 'hello from org-a');
    const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(await exportPeerJwks(storage, NS, ORG)));
    expect(new TextDecoder().decode(payload)).toBe('hello from org-a');
    expect(protectedHeader.kid).toBe('k-alpha');
  });

  it('a JWS that claims an ACTIVE kid but is signed by another key fails', async () => {
    const { storage, second } = await stored();
    const jws = await signJws(second.secretKey, second.publicKey, 'k-alpha', 'forged');
    const e = await errorOf(async () => compactVerify(jws, createLocalJWKSet(await exportPeerJwks(storage, NS, ORG))));
    expect((e as { code?: string }).code).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('a JWS by a RETIRED kid finds no key in the default export', async () => {
    const { storage, retired } = await stored();
    const jws = await signJws(retired.secretKey, retired.publicKey, 'k-retired', 'old message');
    const e = await errorOf(async () => compactVerify(jws, createLocalJWKSet(await exportPeerJwks(storage, NS, ORG))));
    expect((e as { code?: string }).code).toBe('ERR_JWKS_NO_MATCHING_KEY');
    const opted = createLocalJWKSet(await exportPeerJwks(storage, NS, ORG, { include: ['ACTIVE', 'RETIRED'] }));
    expect((await compactVerify(jws, opted)).protectedHeader.kid).toBe('k-retired');
  });

  it('a JWS by a REVOKED kid finds no key in any export', async () => {
    const { storage, revoked } = await stored();
    const jws = await signJws(revoked.secretKey, revoked.publicKey, 'k-revoked', 'revoked');
    const jwks = await exportPeerJwks(storage, NS, ORG, { include: ['ACTIVE', 'RETIRED'] });
    const e = await errorOf(() => compactVerify(jws, createLocalJWKSet(jwks)));
    expect((e as { code?: string }).code).toBe('ERR_JWKS_NO_MATCHING_KEY');
  });

  it('an unknown peer exports an empty set; asking for REVOKED throws', async () => {
    const { storage } = await stored();
    expect(await exportPeerJwks(storage, NS, 'org-b')).toEqual({ keys: [] });
    const e = await errorOf(() => exportPeerJwks(storage, NS, ORG, { include: ['REVOKED'] }));
    expect(isAnchorSyncError(e, 'ERR_INVALID_ARGUMENT')).toBe(true);
  });
});
