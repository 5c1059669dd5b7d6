// DESIGN.md: verification and sync work with globalThis.crypto deleted.
// Keys are made from fixed bytes so nothing here needs a random source.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const original = Object.getOwnPropertyDescriptor(globalThis, 'crypto');

describe('sync without globalThis.crypto', () => {
  beforeEach(() => {
    // Delete it the way a hostile or minimal runtime would lack it.
    Reflect.deleteProperty(globalThis, 'crypto');
  });
  afterEach(() => {
    if (original) Object.defineProperty(globalThis, 'crypto', original);
  });

  it('publishes, syncs over the loopback transport and verifies a peer message with no crypto global', async () => {
    expect((globalThis as { crypto?: unknown }).crypto).toBeUndefined();
    const core = await import('@anchorsync/core');
    const { memoryStorage } = await import('@anchorsync/storage-memory');
    const publisher = memoryStorage();
    const client = memoryStorage();
    const seed = (n: number) => new Uint8Array(32).fill(n);
    let now = Date.parse('2026-11-25T12:00:00.000Z');
    const clock = () => (now += 1000);

    const root = await core.addSigner(publisher, { kid: 'root', secretKey: seed(1), clock });
    await core.addSigner(publisher, { kid: 'msg', secretKey: seed(2), clock });
    await core.publishAnchorPack({ storage: publisher, ns: 'prod', orgId: 'org-a', clock });
    await core.revokeSigner(publisher, 'msg', { clock });
    await core.addSigner(publisher, { kid: 'msg2', secretKey: seed(3), clock });
    await core.publishAnchorPack({ storage: publisher, ns: 'prod', orgId: 'org-a', clock });

    await core.pinTrustAnchor(client, { ns: 'prod', orgId: 'org-a', kid: 'root', pubB64u: root.pubB64u }, { clock });
    const [result] = await core.runAnchorSync({
      storage: client,
      transport: core.loopbackTransport(publisher, { pageSize: 1 }),
      peers: [{ ns: 'prod', orgId: 'org-a' }],
      clock,
    });
    expect(result).toMatchObject({ ok: true, toSeq: 2, pages: 2, revoked: 1 });

    const message = core.utf8('hello from org-a');
    const good = await core.verifyPeerMessage(
      client,
      { ns: 'prod', orgId: 'org-a', kid: 'msg2', message, signature: core.ed25519Sign(message, seed(3)) },
      { now: clock() },
    );
    expect(good.ok).toBe(true);
    const revoked = await core.verifyPeerMessage(
      client,
      { ns: 'prod', orgId: 'org-a', kid: 'msg', message, signature: core.ed25519Sign(message, seed(2)) },
      { now: clock() },
    );
    expect(revoked).toMatchObject({ ok: false, reason: 'REVOKED' });
  });

  it('refuses to generate a key without a random source, and accepts an injected one', async () => {
    const core = await import('@anchorsync/core');
    expect(() => core.generateKeyPair()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    let counter = 0;
    const pair = core.generateKeyPair((n) => new Uint8Array(n).map(() => (counter++ * 7) & 0xff));
    expect(pair.publicKey).toHaveLength(32);
  });
});
