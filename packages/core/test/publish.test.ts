import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PACK_TTL_MS,
  getAnchors,
  getSyncState,
  isAnchorSyncError,
  listPackSeqs,
  loadPack,
  packHash,
  packSigningBytes,
  servePackPage,
  PACK_DOMAIN,
  verifyAnchorPack,
  type AnchorPack,
  type AuditEvent,
  type TrustedKey,
} from '@anchorsync/core';
import { HOUR, iso, makeOrg, MIN, NS, snapshot, T0, testClock, type Org } from './helpers.ts';

const trustedAll = (org: Org, kids: string[]): TrustedKey[] => kids.map((kid) => ({ kid, pubB64u: org.pub(kid), source: 'pinned' }));

async function publishCode(org: Org, extra: Parameters<Org['publish']>[0] = {}): Promise<string | undefined> {
  try {
    await org.publish(extra);
  } catch (e) {
    return isAnchorSyncError(e) ? e.code : String(e);
  }
  return undefined;
}

describe('publishAnchorPack: the first pack', () => {
  it('is a base pack: seq 1, no prev, listing every local signer as an anchor of the org', async () => {
    const org = await makeOrg('org-a', { kids: ['k1', 'k2'] });
    const { pack, hash, changed } = await org.publish();
    expect(pack).toMatchObject({ v: 1, ns: NS, orgId: 'org-a', seq: 1 });
    expect('prev' in pack).toBe(false);
    expect(pack.anchors).toEqual([
      { orgId: 'org-a', kid: 'k1', pubB64u: org.pub('k1'), status: 'ACTIVE', createdAt: iso(T0), updatedAt: iso(T0) },
      { orgId: 'org-a', kid: 'k2', pubB64u: org.pub('k2'), status: 'ACTIVE', createdAt: iso(T0), updatedAt: iso(T0) },
    ]);
    expect(changed).toEqual(['k1', 'k2']);
    expect(hash).toBe(packHash(pack));
  });

  it('is issued at the clock time and expires issuedAt + ttlMs (default one week)', async () => {
    const clock = testClock();
    const org = await makeOrg('org-a', { clock });
    clock.advance(1234);
    const first = await org.publish();
    expect(first.pack.issuedAt).toBe(iso(T0 + 1234));
    expect(first.pack.expiresAt).toBe(iso(T0 + 1234 + DEFAULT_PACK_TTL_MS));
    expect(DEFAULT_PACK_TTL_MS).toBe(7 * 24 * HOUR);
    clock.advance(MIN);
    const second = await org.publish({ ttlMs: 2 * HOUR });
    expect(second.pack.issuedAt).toBe(iso(T0 + 1234 + MIN));
    expect(second.pack.expiresAt).toBe(iso(T0 + 1234 + MIN + 2 * HOUR));
  });

  it('is signed by every ACTIVE signer and by no other, each signature valid', async () => {
    const org = await makeOrg('org-a', { kids: ['k1', 'k2', 'k3'] });
    await org.retire('k3');
    const { pack } = await org.publish();
    expect(pack.sig.map((s) => s.kid).sort()).toEqual(['k1', 'k2']);
    expect(pack.sig.every((s) => s.alg === 'Ed25519')).toBe(true);
    const verified = verifyAnchorPack(pack, { trusted: trustedAll(org, ['k1', 'k2']), threshold: 2 });
    expect(verified.signedBy.sort()).toEqual([org.pub('k1'), org.pub('k2')].sort());
    expect(pack.anchors.find((a) => a.kid === 'k3')?.status).toBe('RETIRED');
  });

  it('signWith limits the signatures to the named kids', async () => {
    const org = await makeOrg('org-a', { kids: ['k1', 'k2'] });
    const { pack } = await org.publish({ signWith: ['k2'] });
    expect(pack.sig.map((s) => s.kid)).toEqual(['k2']);
  });

  it('is stored in the pack log and becomes the publisher\'s own accepted state', async () => {
    const org = await makeOrg('org-a');
    const { pack, hash } = await org.publish();
    expect(await loadPack(org.storage, NS, 'org-a', 1)).toEqual(pack);
    expect(await listPackSeqs(org.storage, NS, 'org-a')).toEqual([1]);
    expect(await getSyncState(org.storage, NS, 'org-a')).toMatchObject({ seq: 1, hash, issuedAt: pack.issuedAt, expiresAt: pack.expiresAt });
    expect(await getAnchors(org.storage, NS, 'org-a')).toEqual(pack.anchors);
  });
});

describe('publishAnchorPack: later packs', () => {
  it('are deltas: seq + 1 and prev = packHash of the previous pack, for every pack of the log', async () => {
    const clock = testClock();
    const org = await makeOrg('org-a', { clock });
    const packs: AnchorPack[] = [];
    packs.push((await org.publish()).pack);
    await org.addSigner('k2');
    clock.advance(MIN);
    packs.push((await org.publish()).pack);
    await org.retire('k1');
    clock.advance(MIN);
    packs.push((await org.publish()).pack);
    clock.advance(MIN);
    packs.push((await org.publish()).pack);
    expect(packs.map((p) => p.seq)).toEqual([1, 2, 3, 4]);
    for (let i = 1; i < packs.length; i++) expect(packs[i]!.prev).toBe(packHash(packs[i - 1]!));
    expect(await listPackSeqs(org.storage, NS, 'org-a')).toEqual([1, 2, 3, 4]);
    for (const p of packs) expect(await loadPack(org.storage, NS, 'org-a', p.seq)).toEqual(p);
  });

  it('list only the kids that changed since the previous pack', async () => {
    const clock = testClock();
    const org = await makeOrg('org-a', { kids: ['k1', 'k2'], clock });
    await org.publish();
    await org.addSigner('k3');
    const added = await org.publish();
    expect(added.pack.anchors.map((a) => `${a.kid}:${a.status}`)).toEqual(['k3:ACTIVE']);
    clock.advance(HOUR);
    await org.revoke('k2');
    const revoked = await org.publish();
    expect(revoked.pack.anchors).toEqual([
      { orgId: 'org-a', kid: 'k2', pubB64u: org.pub('k2'), status: 'REVOKED', createdAt: iso(T0), updatedAt: iso(T0 + HOUR) },
    ]);
    expect(revoked.changed).toEqual(['k2']);
    const nothing = await org.publish();
    expect(nothing.pack.anchors).toEqual([]);
    expect(nothing.pack.seq).toBe(4);
  });

  it('a retired signer no longer signs; the remaining ACTIVE signers do', async () => {
    const org = await makeOrg('org-a', { kids: ['k1', 'k2'] });
    await org.publish();
    await org.retire('k1');
    const { pack } = await org.publish();
    expect(pack.sig.map((s) => s.kid)).toEqual(['k2']);
    expect(pack.anchors.map((a) => `${a.kid}:${a.status}`)).toEqual(['k1:RETIRED']);
  });

  it('a snapshot is a base pack (no prev) at the next seq listing every kid, revoked ones included', async () => {
    const org = await makeOrg('org-a', { kids: ['k1', 'k2'] });
    await org.publish();
    await org.revoke('k2');
    await org.publish();
    const { pack } = await org.publish({ snapshot: true });
    expect(pack.seq).toBe(3);
    expect('prev' in pack).toBe(false);
    expect(pack.anchors.map((a) => `${a.kid}:${a.status}`)).toEqual(['k1:ACTIVE', 'k2:REVOKED']);
    expect((await getSyncState(org.storage, NS, 'org-a'))?.seq).toBe(3);
  });
});

describe('publishAnchorPack: refusals', () => {
  it('without any signer it fails with ERR_NO_SIGNER and stores nothing', async () => {
    const org = await makeOrg('org-a', { kids: [] });
    const before = await snapshot(org.storage);
    expect(await publishCode(org)).toBe('ERR_NO_SIGNER');
    expect(await snapshot(org.storage)).toEqual(before);
  });

  it('when every signer is retired or revoked it fails with ERR_NO_SIGNER and the log does not grow', async () => {
    const org = await makeOrg('org-a', { kids: ['k1', 'k2'] });
    await org.publish();
    await org.retire('k1');
    await org.revoke('k2');
    const before = await snapshot(org.storage);
    expect(await publishCode(org)).toBe('ERR_NO_SIGNER');
    expect(await snapshot(org.storage)).toEqual(before);
    expect(await listPackSeqs(org.storage, NS, 'org-a')).toEqual([1]);
  });

  it('a policy that denies publish fails with ERR_POLICY_DENIED and stores nothing', async () => {
    const org = await makeOrg('org-a');
    const before = await snapshot(org.storage);
    expect(await publishCode(org, { policy: { ops: { publish: { allow: ['org-b'] } } } })).toBe('ERR_POLICY_DENIED');
    expect(await snapshot(org.storage)).toEqual(before);
  });

  it('a publish refused while applying its own pack (apply allowlist naming only peers) leaves no pack in the log beyond the accepted head', async () => {
    const org = await makeOrg('org-a');
    // One policy for all traffic: peers org-b and org-c may be applied here.
    const policy = { ops: { apply: { allow: ['org-b', 'org-c'] } } };
    try {
      await org.publish({ policy });
    } catch (e) {
      expect(isAnchorSyncError(e)).toBe(true);
    }
    const head = (await getSyncState(org.storage, NS, 'org-a'))?.seq ?? 0;
    expect(await listPackSeqs(org.storage, NS, 'org-a')).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    const served = await servePackPage(org.storage, { ns: NS, orgId: 'org-a', since: 0 });
    expect(served.packs).toHaveLength(head);
  });

  it('an invalid ns or orgId is ERR_INVALID_ARGUMENT', async () => {
    const org = await makeOrg('org-a');
    expect(await publishCode(org, { ns: 'a:b' })).toBe('ERR_INVALID_ARGUMENT');
    expect(await publishCode(org, { orgId: '' })).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('publishAnchorPack: audit', () => {
  it('emits FED_ANCHOR_PUBLISH with seq, hash, anchor count and signing kids, and no secret key', async () => {
    const org = await makeOrg('org-a', { kids: ['k1', 'k2'] });
    const { pack, hash } = await org.publish();
    const publish = org.events.filter((e): e is Extract<AuditEvent, { type: 'FED_ANCHOR_PUBLISH' }> => e.type === 'FED_ANCHOR_PUBLISH');
    expect(publish).toEqual([
      { type: 'FED_ANCHOR_PUBLISH', at: pack.issuedAt, ns: NS, orgId: 'org-a', seq: 1, hash, anchors: 2, signedBy: ['k1', 'k2'] },
    ]);
    const text = JSON.stringify(org.events);
    for (const kid of ['k1', 'k2']) {
      expect(text).not.toContain(Buffer.from(org.signer(kid).secretKey).toString('base64url'));
      expect(text).not.toContain(Buffer.from(org.signer(kid).secretKey).toString('hex'));
    }
  });
});

describe('canonical serialisation', () => {
  function reorder(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(reorder);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.keys(value)
          .reverse()
          .map((k) => [k, reorder((value as Record<string, unknown>)[k])]),
      );
    }
    return value;
  }

  it('the same pack has the same packHash after a JSON round trip and with every object\'s keys reordered', async () => {
    const org = await makeOrg('org-a', { kids: ['k1', 'k2'] });
    await org.publish();
    await org.revoke('k2');
    const { pack, hash } = await org.publish();
    const roundTrip = JSON.parse(JSON.stringify(pack)) as AnchorPack;
    const shuffled = reorder(roundTrip) as AnchorPack;
    expect(Object.keys(shuffled)[0]).not.toBe(Object.keys(pack)[0]);
    expect(JSON.stringify(shuffled)).not.toBe(JSON.stringify(pack));
    expect(packHash(roundTrip)).toBe(hash);
    expect(packHash(shuffled)).toBe(hash);
    expect(packSigningBytes(shuffled)).toEqual(packSigningBytes(pack));
    expect(verifyAnchorPack(shuffled, { trusted: trustedAll(org, ['k1']) }).signedBy).toEqual([org.pub('k1')]);
  });

  it('signing bytes are the domain prefix followed by sorted-key JSON without sig', async () => {
    const org = await makeOrg('org-a');
    const { pack } = await org.publish();
    const text = new TextDecoder().decode(packSigningBytes(pack));
    expect(text.startsWith(PACK_DOMAIN)).toBe(true);
    const json = text.slice(PACK_DOMAIN.length);
    expect(json).not.toContain('"sig"');
    expect(json.startsWith('{"anchors":[{"createdAt":')).toBe(true);
    const { sig: _sig, ...unsigned } = pack;
    expect(JSON.parse(json)).toEqual(unsigned);
  });

  it('the signatures are not part of the hash, but every signed member is', async () => {
    const org = await makeOrg('org-a', { kids: ['k1', 'k2'] });
    const { pack, hash } = await org.publish();
    expect(packHash({ ...pack, sig: [] })).toBe(hash);
    expect(packHash({ ...pack, seq: 2 })).not.toBe(hash);
    expect(packHash({ ...pack, anchors: [...pack.anchors].reverse() })).not.toBe(hash);
    expect(packHash({ ...pack, prev: hash })).not.toBe(hash);
  });
});
