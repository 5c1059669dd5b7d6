/**
 * The acceptance rules of DESIGN.md, one guarantee per test, through
 * `applyAnchorPack`. Every rejection is checked three ways: its code, a
 * byte-identical client storage (evidence keys aside for equivocation) and
 * a FED_ANCHOR_SYNC_REJECT audit event with the same code.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyAnchorPack,
  bytesToB64u,
  CLOCK_SKEW_TOLERANCE_MS,
  generateKeyPair,
  getAnchors,
  isAnchorSyncError,
  getSyncState,
  listEquivocationEvidence,
  MAX_SIGNATURES_PER_PACK,
  packHash,
  signAnchorPack,
  storageKeys,
  validatePack,
  type Anchor,
  type AnchorPack,
  type EngineContext,
  type UnsignedAnchorPack,
} from '@anchorsync/core';
import {
  anchorOf,
  DAY,
  EVIDENCE_PREFIX,
  expectRejected,
  HOUR,
  iso,
  makeClient,
  makeOrg,
  MIN,
  NS,
  packBody,
  rawSign,
  snapshot,
  T0,
  testClock,
  type Client,
  type Org,
} from './helpers.ts';

/** An org with signers `kids`, a client that pinned `pinned`, sharing one clock. */
async function world(kids = ['k1', 'k2'], pinned = ['k1']) {
  const clock = testClock();
  const org = await makeOrg('org-a', { kids, clock });
  const client = makeClient(clock);
  for (const kid of pinned) await client.pin(org, kid);
  return { clock, org, client };
}

/** A delta body that continues the client's accepted log. */
async function nextDelta(client: Client, org: Org, anchors: Anchor[], extra: Partial<UnsignedAnchorPack> = {}): Promise<UnsignedAnchorPack> {
  const state = await getSyncState(client.storage, NS, org.orgId);
  if (!state) throw new Error('client has no state');
  return { ...packBody(org.orgId, state.seq + 1, anchors, { prev: state.hash, issuedAt: client.clock() }), ...extra };
}

const apply = (client: Client, pack: unknown, extra: Partial<EngineContext> = {}) => applyAnchorPack(client.ctx(extra), pack);

describe('accepting packs signed by trusted keys', () => {
  it('a base pack signed by a pinned key is applied: anchors stored, state at its seq and hash, APPLY audited', async () => {
    const { org, client } = await world();
    const { pack, hash } = await org.publish();
    const outcome = await apply(client, JSON.parse(JSON.stringify(pack)));
    expect(outcome).toMatchObject({ status: 'applied', ns: NS, orgId: 'org-a', seq: 1, hash, warnings: [] });
    expect(outcome.counts).toEqual({ added: 2, updated: 0, retired: 0, revoked: 0, unchanged: 0 });
    expect(await getAnchors(client.storage, NS, 'org-a')).toEqual(pack.anchors);
    expect(await getSyncState(client.storage, NS, 'org-a')).toMatchObject({ seq: 1, hash, issuedAt: pack.issuedAt, expiresAt: pack.expiresAt });
    expect(client.events).toEqual([
      expect.objectContaining({ type: 'FED_ANCHOR_SYNC_APPLY', ns: NS, orgId: 'org-a', seq: 1, hash, counts: outcome.counts, warnings: [] }),
    ]);
  });

  it('deltas signed by a pinned key apply in order and move the state forward', async () => {
    const { org, client } = await world();
    const p1 = await org.publish();
    await org.addSigner('k3');
    const p2 = await org.publish();
    await org.retire('k2');
    const p3 = await org.publish();
    await apply(client, p1.pack);
    expect((await apply(client, p2.pack)).counts).toMatchObject({ added: 1 });
    expect((await apply(client, p3.pack)).counts).toMatchObject({ updated: 1, retired: 1 });
    expect(await getSyncState(client.storage, NS, 'org-a')).toMatchObject({ seq: 3, hash: p3.hash });
    expect((await getAnchors(client.storage, NS, 'org-a')).map((a) => `${a.kid}:${a.status}`)).toEqual(['k1:ACTIVE', 'k2:RETIRED', 'k3:ACTIVE']);
  });

  it('an org\'s own local ACTIVE signers are trusted for its packs only when localOrgId names it', async () => {
    const org = await makeOrg('org-a');
    const pack = signAnchorPack(packBody('org-a', 1, [anchorOf('org-a', 'k1', org.pub('k1'))]), [org.signer('k1')]);
    const local = { storage: org.storage, events: org.events };
    await expectRejected(local, 'ERR_PACK_SIGNATURE', () => applyAnchorPack({ storage: org.storage, clock: org.clock, audit: org.audit }, pack));
    await expectRejected(local, 'ERR_PACK_SIGNATURE', () =>
      applyAnchorPack({ storage: org.storage, clock: org.clock, audit: org.audit, localOrgId: 'org-b' }, pack),
    );
    const outcome = await applyAnchorPack({ storage: org.storage, clock: org.clock, localOrgId: 'org-a' }, pack);
    expect(outcome.status).toBe('applied');
  });
});

describe('rule 1: shape', () => {
  async function base(org: Org): Promise<UnsignedAnchorPack> {
    return packBody('org-a', 1, [anchorOf('org-a', 'k1', org.pub('k1')), anchorOf('org-a', 'k2', org.pub('k2'))]);
  }

  it('a correctly signed pack with an unknown top-level member is ERR_PACK_SCHEMA', async () => {
    const { org, client } = await world();
    const pack = rawSign({ ...(await base(org)), extra: 'hello' }, [org.signer('k1')]);
    await expectRejected(client, 'ERR_PACK_SCHEMA', () => apply(client, pack));
  });

  it('an anchor with an unknown member is ERR_PACK_SCHEMA', async () => {
    const { org, client } = await world();
    const body = await base(org);
    const pack = rawSign({ ...body, anchors: [{ ...body.anchors[0]!, note: 'x' }] }, [org.signer('k1')]);
    await expectRejected(client, 'ERR_PACK_SCHEMA', () => apply(client, pack));
  });

  it.each([
    ['padded', (k: string) => `${k}=`],
    ['standard-alphabet', (k: string) => `+/${k.slice(2)}`],
    ['non-canonical trailing bits', (k: string) => k.slice(0, 42) + (k[42] === 'B' ? 'C' : 'B')],
    ['31-byte', (k: string) => k.slice(0, 40)],
  ])('an anchor key in %s base64url is ERR_PACK_SCHEMA', async (_name, mangle) => {
    const { org, client } = await world();
    const body = await base(org);
    const pack = rawSign({ ...body, anchors: [{ ...body.anchors[0]!, pubB64u: mangle(org.pub('k1')) }] }, [org.signer('k1')]);
    await expectRejected(client, 'ERR_PACK_SCHEMA', () => apply(client, pack));
  });

  it('a signature that is not 64 bytes of base64url is ERR_PACK_SCHEMA', async () => {
    const { org, client } = await world();
    const pack = signAnchorPack(await base(org), [org.signer('k1')]);
    const bad = { ...pack, sig: [{ ...pack.sig[0]!, sig: `${pack.sig[0]!.sig}==` }] };
    await expectRejected(client, 'ERR_PACK_SCHEMA', () => apply(client, bad));
  });

  it.each([
    ['without milliseconds', { issuedAt: '2026-03-01T12:00:00Z' }],
    ['with an offset instead of Z', { issuedAt: '2026-03-01T12:00:00.000+00:00' }],
    ['on a day that does not exist', { expiresAt: '2026-02-30T12:00:00.000Z' }],
    ['expiring before it is issued', { expiresAt: '2026-03-01T11:59:59.999Z' }],
  ])('a pack with a timestamp %s is ERR_PACK_SCHEMA', async (_name, change) => {
    const { org, client } = await world();
    const pack = rawSign({ ...(await base(org)), ...change }, [org.signer('k1')]);
    await expectRejected(client, 'ERR_PACK_SCHEMA', () => apply(client, pack));
  });

  it.each([
    ['v = 2', { v: 2 }],
    ['seq = 0', { seq: 0 }],
    ['a fractional seq', { seq: 1.5 }],
    ['a string seq', { seq: '1' }],
    ['an anchor status outside the lifecycle', { anchors: [{ orgId: 'org-a', kid: 'k1', pubB64u: 'x', status: 'LOST' }] }],
    ['anchors that are not an array', { anchors: {} }],
  ])('a pack with %s is ERR_PACK_SCHEMA', async (_name, change) => {
    const { org, client } = await world();
    const pack = rawSign({ ...(await base(org)), ...change }, [org.signer('k1')]);
    await expectRejected(client, 'ERR_PACK_SCHEMA', () => apply(client, pack));
  });

  it.each([['null', null], ['an array', []], ['a string', 'pack'], ['an empty object', {}]])(
    '%s instead of a pack is ERR_PACK_SCHEMA',
    async (_name, value) => {
      const { client } = await world();
      await expectRejected(client, 'ERR_PACK_SCHEMA', () => apply(client, value));
    },
  );

  it('a pack with more anchors than limits.maxAnchors is ERR_PACK_TOO_LARGE; within the limit it applies', async () => {
    const { org, client } = await world(['k1', 'k2', 'k3']);
    const anchors = ['k1', 'k2', 'k3'].map((kid) => anchorOf('org-a', kid, org.pub(kid)));
    const pack = signAnchorPack(packBody('org-a', 1, anchors), [org.signer('k1')]);
    await expectRejected(client, 'ERR_PACK_TOO_LARGE', () => apply(client, pack, { limits: { maxAnchors: 2 } }));
    expect((await apply(client, pack, { limits: { maxAnchors: 3 } })).status).toBe('applied');
  });

  it(`a pack with more than ${MAX_SIGNATURES_PER_PACK} signatures is ERR_PACK_TOO_LARGE; with ${MAX_SIGNATURES_PER_PACK} it applies`, async () => {
    const { org, client } = await world();
    const pack = signAnchorPack(await base(org), [org.signer('k1')]);
    const many = { ...pack, sig: Array.from({ length: MAX_SIGNATURES_PER_PACK + 1 }, () => pack.sig[0]!) };
    await expectRejected(client, 'ERR_PACK_TOO_LARGE', () => apply(client, many));
    const enough = { ...pack, sig: Array.from({ length: MAX_SIGNATURES_PER_PACK }, () => pack.sig[0]!) };
    expect((await apply(client, enough)).status).toBe('applied');
  });

  it('a kid longer than 128 characters is ERR_PACK_TOO_LARGE', async () => {
    const { org, client } = await world();
    const pack = rawSign(packBody('org-a', 1, [anchorOf('org-a', 'k'.repeat(129), org.pub('k1'))]), [org.signer('k1')]);
    await expectRejected(client, 'ERR_PACK_TOO_LARGE', () => apply(client, pack));
  });

  it('a pack carrying an anchor of another org is ERR_PACK_FOREIGN_ANCHOR, even when correctly signed', async () => {
    const { org, client } = await world();
    const foreign = anchorOf('org-b', 'kb', bytesToB64u(generateKeyPair().publicKey));
    const pack = rawSign(packBody('org-a', 1, [anchorOf('org-a', 'k1', org.pub('k1')), foreign]), [org.signer('k1')]);
    await expectRejected(client, 'ERR_PACK_FOREIGN_ANCHOR', () => apply(client, pack));
  });

  it('duplicate kids are found wherever they sit: sorted neighbours, after the list stops being sorted, far apart (validatePack, 300 generated lists)', () => {
    const pub = bytesToB64u(generateKeyPair().publicKey);
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'), { maxLength: 14 }), fc.boolean(), (kids, sort) => {
        const list = sort ? [...kids].sort() : kids;
        const body = { ...packBody('org-a', 1, list.map((kid) => anchorOf('org-a', kid, pub))), sig: [] };
        const repeated = new Set(list).size !== list.length;
        let code: string | undefined;
        try {
          validatePack(body);
        } catch (e) {
          code = isAnchorSyncError(e) ? e.code : 'not typed';
        }
        expect(code).toBe(repeated ? 'ERR_PACK_DUPLICATE_KID' : undefined);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('a pack listing one kid twice is ERR_PACK_DUPLICATE_KID, even when correctly signed', async () => {
    const { org, client } = await world();
    const twice = [anchorOf('org-a', 'k1', org.pub('k1')), anchorOf('org-a', 'k1', org.pub('k1'), 'REVOKED')];
    const pack = rawSign(packBody('org-a', 1, twice), [org.signer('k1')]);
    await expectRejected(client, 'ERR_PACK_DUPLICATE_KID', () => apply(client, pack));
  });

  it('a pack for another peer than the one expected is ERR_PACK_SCHEMA', async () => {
    const { org, client } = await world();
    const { pack } = await org.publish();
    await expectRejected(client, 'ERR_PACK_SCHEMA', () => applyAnchorPack(client.ctx(), pack, { expect: { ns: NS, orgId: 'org-b' } }));
  });
});

describe('rule 2: signatures', () => {
  it('a pack with no signature is ERR_PACK_SIGNATURE', async () => {
    const { org, client } = await world();
    const { pack } = await org.publish();
    await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, { ...pack, sig: [] }));
  });

  it('a pack signed only by a key that is not pinned is ERR_PACK_SIGNATURE', async () => {
    const { org, client } = await world(['k1', 'k2'], ['k1']);
    const { pack } = await org.publish({ signWith: ['k2'] });
    await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, pack));
  });

  it('a signature labelled with the pinned kid but made by another key is ERR_PACK_SIGNATURE', async () => {
    const { org, client } = await world();
    const { pack } = await org.publish({ signWith: ['k2'] });
    await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, { ...pack, sig: [{ ...pack.sig[0]!, kid: 'k1' }] }));
  });

  it('a key pinned for another org does not count for this one', async () => {
    const { org, client } = await world(['k1', 'k2'], []);
    await client.storage.set(storageKeys.trustAnchor(NS, 'org-b', 'k1'), {
      ns: NS,
      orgId: 'org-b',
      kid: 'k1',
      pubB64u: org.pub('k1'),
      pinnedAt: iso(T0),
    });
    const { pack } = await org.publish();
    await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, pack));
  });

  it('a genuine signature over other bytes (another pack) is ERR_PACK_SIGNATURE', async () => {
    const { org, client } = await world();
    const { pack } = await org.publish();
    const other = signAnchorPack({ ...pack, sig: [], issuedAt: iso(T0 + 1) }, [org.signer('k1')]);
    await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, { ...pack, sig: other.sig }));
  });

  it.each([
    ['an anchor status', (a: Anchor) => ({ ...a, status: 'REVOKED' as const, updatedAt: a.updatedAt })],
    ['an anchor public key', (a: Anchor) => ({ ...a, pubB64u: bytesToB64u(generateKeyPair().publicKey) })],
    ['an anchor timestamp', (a: Anchor) => ({ ...a, updatedAt: iso(T0 + 1) })],
  ])('a pack whose %s was modified after signing is ERR_PACK_SIGNATURE', async (_name, change) => {
    const { org, client } = await world();
    const { pack } = await org.publish();
    const tampered: AnchorPack = { ...pack, anchors: [change(pack.anchors[0]!), ...pack.anchors.slice(1)] };
    await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, tampered));
  });

  it('a pack whose seq or expiresAt was modified after signing is ERR_PACK_SIGNATURE', async () => {
    const { org, client } = await world();
    const { pack } = await org.publish();
    await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, { ...pack, expiresAt: iso(T0 + 365 * DAY) }));
    await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, { ...pack, seq: 2 }));
  });

  it('with threshold 2, one valid trusted signature is ERR_PACK_SIGNATURE and two distinct ones are accepted', async () => {
    const { org, client } = await world(['k1', 'k2', 'k3'], ['k1', 'k2']);
    const one = await org.publish({ signWith: ['k1'] });
    await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, one.pack, { threshold: 2 }));
    const withUntrusted = signAnchorPack(one.pack, [org.signer('k3')]);
    await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, withUntrusted, { threshold: 2 }));
    const two = signAnchorPack(one.pack, [org.signer('k2')]);
    expect((await apply(client, two, { threshold: 2 })).status).toBe('applied');
  });

  it('policy.threshold is enforced like the threshold option', async () => {
    const { org, client } = await world(['k1', 'k2'], ['k1', 'k2']);
    const one = await org.publish({ signWith: ['k1'] });
    await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, one.pack, { policy: { threshold: 2 } }));
    expect((await apply(client, signAnchorPack(one.pack, [org.signer('k2')]), { policy: { threshold: 2 } })).status).toBe('applied');
  });

  it('one key pinned under two kids counts once towards the threshold', async () => {
    const { org, client } = await world(['k1'], ['k1']);
    await client.storage.set(storageKeys.trustAnchor(NS, 'org-a', 'alias'), {
      ns: NS,
      orgId: 'org-a',
      kid: 'alias',
      pubB64u: org.pub('k1'),
      pinnedAt: iso(T0),
    });
    const { pack } = await org.publish();
    const twice = { ...pack, sig: [pack.sig[0]!, { ...pack.sig[0]!, kid: 'alias' }] };
    await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, twice, { threshold: 2 }));
    const repeated = { ...pack, sig: [pack.sig[0]!, pack.sig[0]!] };
    await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, repeated, { threshold: 2 }));
    expect((await apply(client, twice)).status).toBe('applied');
  });

  it('signatures are checked before freshness: an unsigned same-seq pack records no equivocation evidence', async () => {
    const { org, client } = await world();
    const { pack } = await org.publish();
    await apply(client, pack);
    const forged = rawSign({ ...pack, sig: undefined, issuedAt: iso(T0 + 1) }, [{ kid: 'k1', secretKey: generateKeyPair().secretKey }]);
    await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, forged));
    expect(await listEquivocationEvidence(client.storage, NS, 'org-a')).toEqual([]);
  });
});

describe('rule 2: rotation', () => {
  async function rotated() {
    const w = await world(['k1'], ['k1']);
    const p1 = await w.org.publish();
    await w.org.addSigner('k2');
    const p2 = await w.org.publish();
    await w.org.retire('k1');
    const p3 = await w.org.publish();
    expect(p3.pack.sig.map((s) => s.kid)).toEqual(['k2']);
    return { ...w, p1, p2, p3 };
  }

  it('with policy.allowRotation, a pack signed only by a key the previous pack made ACTIVE is accepted', async () => {
    const { client, p1, p2, p3 } = await rotated();
    const ctx = { policy: { allowRotation: true } };
    await apply(client, p1.pack, ctx);
    await apply(client, p2.pack, ctx);
    const outcome = await apply(client, p3.pack, ctx);
    expect(outcome.status).toBe('applied');
    expect((await getAnchors(client.storage, NS, 'org-a')).map((a) => `${a.kid}:${a.status}`)).toEqual(['k1:RETIRED', 'k2:ACTIVE']);
  });

  it('without allowRotation, the same pack signed only by the new key is ERR_PACK_SIGNATURE', async () => {
    const { client, p1, p2, p3 } = await rotated();
    await apply(client, p1.pack);
    await apply(client, p2.pack);
    await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, p3.pack));
    await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, p3.pack, { policy: { allowRotation: false } }));
  });

  it('with allowRotation, a key that first appears in the pack it signs is not trusted', async () => {
    const { org, client } = await world(['k1'], ['k1']);
    const p1 = await org.publish();
    await org.addSigner('k2');
    await org.retire('k1');
    const p2 = await org.publish();
    expect(p2.pack.sig.map((s) => s.kid)).toEqual(['k2']);
    const ctx = { policy: { allowRotation: true } };
    await apply(client, p1.pack, ctx);
    await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, p2.pack, ctx));
  });

  it('with allowRotation, an anchor the accepted log RETIRED or REVOKED can no longer sign', async () => {
    const { org, client } = await world(['root', 'k1', 'k2', 'k3'], ['root']);
    const ctx = { policy: { allowRotation: true } };
    await apply(client, (await org.publish()).pack, ctx);
    await org.retire('k1');
    await org.revoke('k2');
    await apply(client, (await org.publish()).pack, ctx);
    for (const kid of ['k1', 'k2']) {
      const body = await nextDelta(client, org, [anchorOf('org-a', 'evil', bytesToB64u(generateKeyPair().publicKey))]);
      await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, signAnchorPack(body, [org.signer(kid)]), ctx));
    }
    const body = await nextDelta(client, org, []);
    expect((await apply(client, signAnchorPack(body, [org.signer('k3')]), ctx)).status).toBe('applied');
  });
});

describe('rule 3: freshness', () => {
  async function threePacks() {
    const w = await world();
    const p1 = await w.org.publish();
    await w.org.addSigner('k3');
    const p2 = await w.org.publish();
    await w.org.revoke('k2');
    const p3 = await w.org.publish();
    return { ...w, packs: [p1, p2, p3] };
  }

  it('a pack at a lower seq than the accepted one is ERR_PACK_ROLLBACK and storage is unchanged', async () => {
    const { client, packs } = await threePacks();
    for (const p of packs) await apply(client, p.pack);
    await expectRejected(client, 'ERR_PACK_ROLLBACK', () => apply(client, packs[1]!.pack));
    await expectRejected(client, 'ERR_PACK_ROLLBACK', () => apply(client, packs[0]!.pack));
    expect((await getSyncState(client.storage, NS, 'org-a'))?.seq).toBe(3);
  });

  it('re-applying the accepted pack is an idempotent no-op: status unchanged, zero counts, storage identical, no rejection', async () => {
    const { client, packs } = await threePacks();
    for (const p of packs) await apply(client, p.pack);
    const before = await snapshot(client.storage);
    const eventCount = client.events.length;
    const again = await apply(client, JSON.parse(JSON.stringify(packs[2]!.pack)));
    expect(again).toMatchObject({ status: 'unchanged', seq: 3, hash: packs[2]!.hash });
    expect(again.counts).toEqual({ added: 0, updated: 0, retired: 0, revoked: 0, unchanged: 0 });
    expect(await snapshot(client.storage)).toEqual(before);
    expect(client.events.slice(eventCount).filter((e) => e.type === 'FED_ANCHOR_SYNC_REJECT')).toEqual([]);
  });

  it('the same pack with its keys reordered is recognised as the accepted one (no equivocation)', async () => {
    const { client, packs } = await threePacks();
    await apply(client, packs[0]!.pack);
    const p = packs[0]!.pack;
    const reverseKeys = (o: object) => Object.fromEntries(Object.entries(o).reverse());
    const reordered = reverseKeys({ ...p, anchors: p.anchors.map(reverseKeys) });
    expect(Object.keys(reordered)[0]).toBe('sig');
    expect((await apply(client, reordered)).status).toBe('unchanged');
  });

  it('a different pack signed at the accepted seq is ERR_PACK_EQUIVOCATION: evidence kept, audited, nothing else changed', async () => {
    const { org, client, packs } = await threePacks();
    for (const p of packs.slice(0, 2)) await apply(client, p.pack);
    const accepted = packs[1]!;
    const forked = signAnchorPack({ ...accepted.pack, sig: [], anchors: [] }, [org.signer('k1')]);
    const forkHash = packHash(forked);
    const before = await snapshot(client.storage);
    const error = await expectRejected(client, 'ERR_PACK_EQUIVOCATION', () => apply(client, forked), { evidence: true });
    expect((error as { details?: Record<string, unknown> }).details).toMatchObject({ seq: 2 });
    const after = await snapshot(client.storage);
    const added = Object.keys(after).filter((k) => !(k in before));
    expect(added).toEqual([`${EVIDENCE_PREFIX}${NS}:org-a:2:${forkHash}`]);
    expect(await listEquivocationEvidence(client.storage, NS, 'org-a')).toEqual([
      { detectedAt: iso(client.clock()), seq: 2, acceptedHash: accepted.hash, receivedHash: forkHash, received: forked },
    ]);
    const reject = client.events.find((e) => e.type === 'FED_ANCHOR_SYNC_REJECT');
    expect(reject).toMatchObject({ code: 'ERR_PACK_EQUIVOCATION', ns: NS, orgId: 'org-a', seq: 2 });
    expect((await apply(client, packs[2]!.pack)).status).toBe('applied');
  });

  it('a delta that skips a seq is ERR_PACK_CHAIN', async () => {
    const { client, packs } = await threePacks();
    await apply(client, packs[0]!.pack);
    await expectRejected(client, 'ERR_PACK_CHAIN', () => apply(client, packs[2]!.pack));
  });

  it('a delta at seq + 1 whose prev is not the accepted hash is ERR_PACK_CHAIN', async () => {
    const { org, client, packs } = await threePacks();
    await apply(client, packs[0]!.pack);
    const wrongPrev = signAnchorPack({ ...packs[1]!.pack, sig: [], prev: bytesToB64u(new Uint8Array(32).fill(1)) }, [org.signer('k1')]);
    await expectRejected(client, 'ERR_PACK_CHAIN', () => apply(client, wrongPrev));
  });

  it('a delta whose prev is right but whose seq jumps is ERR_PACK_CHAIN', async () => {
    const { org, client, packs } = await threePacks();
    await apply(client, packs[0]!.pack);
    const jump = signAnchorPack({ ...packs[1]!.pack, sig: [], seq: 5 }, [org.signer('k1')]);
    await expectRejected(client, 'ERR_PACK_CHAIN', () => apply(client, jump));
  });

  it('a client with no state accepts only a base pack: a delta first is ERR_PACK_CHAIN', async () => {
    const { client, packs } = await threePacks();
    await expectRejected(client, 'ERR_PACK_CHAIN', () => apply(client, packs[1]!.pack));
    expect(await getSyncState(client.storage, NS, 'org-a')).toBeUndefined();
  });

  it('a base (snapshot) pack may move a client ahead of its accepted seq', async () => {
    const { org, client, packs } = await threePacks();
    await apply(client, packs[0]!.pack);
    const snap = await org.publish({ snapshot: true });
    expect(snap.pack.seq).toBe(4);
    expect((await apply(client, snap.pack)).status).toBe('applied');
    expect(await getSyncState(client.storage, NS, 'org-a')).toMatchObject({ seq: 4, hash: snap.hash });
  });

  it('a pack whose expiresAt is now or in the past is ERR_PACK_EXPIRED; one millisecond later it applies', async () => {
    const { org, client, clock } = await world();
    const anchors = [anchorOf('org-a', 'k1', org.pub('k1'))];
    const atNow = signAnchorPack(packBody('org-a', 1, anchors, { issuedAt: clock() - DAY, expiresAt: clock() }), [org.signer('k1')]);
    await expectRejected(client, 'ERR_PACK_EXPIRED', () => apply(client, atNow));
    const past = signAnchorPack(packBody('org-a', 1, anchors, { issuedAt: clock() - DAY, expiresAt: clock() - HOUR }), [org.signer('k1')]);
    await expectRejected(client, 'ERR_PACK_EXPIRED', () => apply(client, past));
    const live = signAnchorPack(packBody('org-a', 1, anchors, { issuedAt: clock() - DAY, expiresAt: clock() + 1 }), [org.signer('k1')]);
    expect((await apply(client, live)).status).toBe('applied');
  });

  it('a freeze attack fails: the next genuine pack, replayed after it expired, is ERR_PACK_EXPIRED', async () => {
    const { org, client, clock } = await world();
    await apply(client, (await org.publish({ ttlMs: HOUR })).pack);
    await org.revoke('k2');
    const p2 = await org.publish({ ttlMs: HOUR });
    clock.advance(2 * HOUR);
    await expectRejected(client, 'ERR_PACK_EXPIRED', () => apply(client, p2.pack));
  });

  it(`a pack issued more than ${CLOCK_SKEW_TOLERANCE_MS / MIN} minutes ahead is accepted with a CLOCK_SKEW warning, also in the audit event`, async () => {
    const { org, client, clock } = await world();
    const anchors = [anchorOf('org-a', 'k1', org.pub('k1'), 'ACTIVE', iso(clock() + CLOCK_SKEW_TOLERANCE_MS + 1))];
    const ahead = signAnchorPack(packBody('org-a', 1, anchors, { issuedAt: clock() + CLOCK_SKEW_TOLERANCE_MS + 1 }), [org.signer('k1')]);
    const outcome = await apply(client, ahead);
    expect(outcome.status).toBe('applied');
    expect(outcome.warnings).toEqual(['CLOCK_SKEW']);
    expect(client.events.at(-1)).toMatchObject({ type: 'FED_ANCHOR_SYNC_APPLY', warnings: ['CLOCK_SKEW'] });
  });

  it('a pack issued exactly at the skew tolerance gets no warning', async () => {
    const { org, client, clock } = await world();
    const edge = signAnchorPack(packBody('org-a', 1, [anchorOf('org-a', 'k1', org.pub('k1'))], { issuedAt: clock() + CLOCK_SKEW_TOLERANCE_MS }), [
      org.signer('k1'),
    ]);
    expect((await apply(client, edge)).warnings).toEqual([]);
  });
});

describe('rule 4: lifecycle', () => {
  /** Client has accepted: k1 ACTIVE, k2 RETIRED, k3 REVOKED. */
  async function withLifecycle() {
    const w = await world(['k1', 'k2', 'k3'], ['k1']);
    await apply(w.client, (await w.org.publish()).pack);
    w.clock.advance(HOUR);
    await w.org.retire('k2');
    await w.org.revoke('k3');
    await apply(w.client, (await w.org.publish()).pack);
    expect((await getAnchors(w.client.storage, NS, 'org-a')).map((a) => a.status)).toEqual(['ACTIVE', 'RETIRED', 'REVOKED']);
    return w;
  }

  it('a delta moving a REVOKED kid back to ACTIVE is ERR_PACK_LIFECYCLE', async () => {
    const { org, client } = await withLifecycle();
    const body = await nextDelta(client, org, [anchorOf('org-a', 'k3', org.pub('k3'), 'ACTIVE', iso(T0), iso(client.clock()))]);
    await expectRejected(client, 'ERR_PACK_LIFECYCLE', () => apply(client, signAnchorPack(body, [org.signer('k1')])));
  });

  it('a delta moving a RETIRED kid back to ACTIVE is ERR_PACK_LIFECYCLE', async () => {
    const { org, client } = await withLifecycle();
    const body = await nextDelta(client, org, [anchorOf('org-a', 'k2', org.pub('k2'), 'ACTIVE', iso(T0), iso(client.clock()))]);
    await expectRejected(client, 'ERR_PACK_LIFECYCLE', () => apply(client, signAnchorPack(body, [org.signer('k1')])));
  });

  it('a delta moving a REVOKED kid to RETIRED is ERR_PACK_LIFECYCLE', async () => {
    const { org, client } = await withLifecycle();
    const body = await nextDelta(client, org, [anchorOf('org-a', 'k3', org.pub('k3'), 'RETIRED', iso(T0), iso(client.clock()))]);
    await expectRejected(client, 'ERR_PACK_LIFECYCLE', () => apply(client, signAnchorPack(body, [org.signer('k1')])));
  });

  it('a base (snapshot) pack listing a REVOKED kid as ACTIVE is ERR_PACK_LIFECYCLE', async () => {
    const { org, client } = await withLifecycle();
    const state = await getSyncState(client.storage, NS, 'org-a');
    const anchors = ['k1', 'k2', 'k3'].map((kid) => anchorOf('org-a', kid, org.pub(kid), kid === 'k2' ? 'RETIRED' : 'ACTIVE'));
    const base = signAnchorPack(packBody('org-a', state!.seq + 1, anchors, { issuedAt: client.clock() }), [org.signer('k1')]);
    expect('prev' in base).toBe(false);
    await expectRejected(client, 'ERR_PACK_LIFECYCLE', () => apply(client, base));
  });

  it('later deltas that omit a revoked kid keep it REVOKED', async () => {
    const { org, client } = await withLifecycle();
    await org.addSigner('k4');
    const p3 = await org.publish();
    expect(p3.pack.anchors.map((a) => a.kid)).toEqual(['k4']);
    await apply(client, p3.pack);
    await apply(client, (await org.publish()).pack);
    const anchors = await getAnchors(client.storage, NS, 'org-a');
    expect(anchors.find((a) => a.kid === 'k3')?.status).toBe('REVOKED');
    expect(anchors.map((a) => a.kid)).toEqual(['k1', 'k2', 'k3', 'k4']);
  });

  it('a base pack that omits a revoked kid keeps it REVOKED', async () => {
    const { org, client } = await withLifecycle();
    const state = await getSyncState(client.storage, NS, 'org-a');
    const anchors = [anchorOf('org-a', 'k1', org.pub('k1'))];
    const base = signAnchorPack(packBody('org-a', state!.seq + 1, anchors, { issuedAt: client.clock() }), [org.signer('k1')]);
    expect((await apply(client, base)).status).toBe('applied');
    expect((await getAnchors(client.storage, NS, 'org-a')).map((a) => `${a.kid}:${a.status}`)).toEqual(['k1:ACTIVE', 'k2:RETIRED', 'k3:REVOKED']);
  });

  it('a record repeating a stored status is counted unchanged and the first-seen record is kept', async () => {
    const { org, client } = await withLifecycle();
    const stored = (await getAnchors(client.storage, NS, 'org-a')).find((a) => a.kid === 'k2')!;
    const later = { ...stored, updatedAt: iso(client.clock() + DAY) };
    const body = await nextDelta(client, org, [later]);
    const outcome = await apply(client, signAnchorPack(body, [org.signer('k1')]));
    expect(outcome.counts).toEqual({ added: 0, updated: 0, retired: 0, revoked: 0, unchanged: 1 });
    expect((await getAnchors(client.storage, NS, 'org-a')).find((a) => a.kid === 'k2')).toEqual(stored);
  });

  it('ACTIVE -> REVOKED and RETIRED -> REVOKED are accepted and counted as revocations', async () => {
    const { org, client } = await withLifecycle();
    await org.addSigner('k9');
    expect((await apply(client, (await org.publish()).pack)).counts).toMatchObject({ added: 1 });
    await org.revoke('k2');
    await org.revoke('k9');
    const outcome = await apply(client, (await org.publish()).pack);
    expect(outcome.counts).toEqual({ added: 0, updated: 2, retired: 0, revoked: 2, unchanged: 0 });
    expect((await getAnchors(client.storage, NS, 'org-a')).map((a) => `${a.kid}:${a.status}`)).toEqual([
      'k1:ACTIVE',
      'k2:REVOKED',
      'k3:REVOKED',
      'k9:REVOKED',
    ]);
  });

  it('a known kid arriving with a different public key is ERR_PACK_KEY_CHANGED, in a delta and in a base pack', async () => {
    const { org, client } = await withLifecycle();
    const swapped = anchorOf('org-a', 'k1', bytesToB64u(generateKeyPair().publicKey));
    const delta = await nextDelta(client, org, [swapped]);
    await expectRejected(client, 'ERR_PACK_KEY_CHANGED', () => apply(client, signAnchorPack(delta, [org.signer('k1')])));
    const state = await getSyncState(client.storage, NS, 'org-a');
    const base = packBody('org-a', state!.seq + 1, [swapped], { issuedAt: client.clock() });
    await expectRejected(client, 'ERR_PACK_KEY_CHANGED', () => apply(client, signAnchorPack(base, [org.signer('k1')])));
  });
});

describe('rule 5: policy', () => {
  it('a pack from an org the apply allowlist does not name is ERR_POLICY_DENIED and storage is unchanged', async () => {
    const { org, client } = await world();
    const { pack } = await org.publish();
    await expectRejected(client, 'ERR_POLICY_DENIED', () => apply(client, pack, { policy: { ops: { apply: { allow: ['org-z'] } } } }));
    expect((await apply(client, pack, { policy: { ops: { apply: { allow: ['org-a'] } } } })).status).toBe('applied');
  });

  it('the apply daily cap counts accepted packs only; once used up it is ERR_POLICY_CAP', async () => {
    const { org, client } = await world();
    const policy = { ops: { apply: { dailyCap: 1 } } };
    const p1 = await org.publish();
    const forged = signAnchorPack({ ...p1.pack, sig: [] }, [{ kid: 'k1', secretKey: generateKeyPair().secretKey }]);
    await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, forged, { policy }));
    await apply(client, p1.pack, { policy });
    await org.revoke('k2');
    const p2 = await org.publish();
    await expectRejected(client, 'ERR_POLICY_CAP', () => apply(client, p2.pack, { policy }));
  });
});

describe('revoked trust', () => {
  it('a pinned key that the org has since REVOKED in its accepted log no longer signs its packs', async () => {
    // A leaked key is revoked precisely so that whoever holds it can no longer
    // speak for the org (DESIGN.md rule 4: REVOKED stays revoked, "REVOKED: never").
    const { org, client } = await world(['k1', 'k2'], ['k1', 'k2']);
    await apply(client, (await org.publish()).pack);
    await org.revoke('k1');
    const p2 = await org.publish();
    expect(p2.pack.sig.map((s) => s.kid)).toEqual(['k2']);
    await apply(client, p2.pack);
    expect((await getAnchors(client.storage, NS, 'org-a')).find((a) => a.kid === 'k1')?.status).toBe('REVOKED');
    const attacker = await nextDelta(client, org, [anchorOf('org-a', 'evil', bytesToB64u(generateKeyPair().publicKey))]);
    await expectRejected(client, 'ERR_PACK_SIGNATURE', () => apply(client, signAnchorPack(attacker, [org.signer('k1')])));
  });
});
