import { describe, expect, it } from 'vitest';
import { memoryStorage } from '@anchorsync/storage-memory';
import { addSigner, getSignerSecret, signAnchorPack, verifyAnchorPack, formatTimestamp } from '@anchorsync/core';

describe('smoke', () => {
  it('a pack signed by a local signer verifies against its key', async () => {
    const storage = memoryStorage();
    const s = await addSigner(storage, { kid: 'root' });
    const secretKey = await getSignerSecret(storage, 'root');
    const now = Date.now();
    const pack = signAnchorPack(
      { v: 1, ns: 'prod', orgId: 'org-a', seq: 1, issuedAt: formatTimestamp(now), expiresAt: formatTimestamp(now + 1000), anchors: [] },
      [{ kid: 'root', secretKey }],
    );
    expect(verifyAnchorPack(pack, { trusted: [{ kid: 'root', pubB64u: s.pubB64u, source: 'local' }] }).signedBy).toEqual([s.pubB64u]);
  });
});
