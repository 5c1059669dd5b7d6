import { addSigner, isAnchorSyncError, listTrustAnchors, type StorageDriver } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { describe, expect, it } from 'vitest';
import { readOrg, readPeers, syncPins } from '../src/config.ts';

const code = (run: () => unknown) => {
  try {
    run();
  } catch (e) {
    return isAnchorSyncError(e) ? `${e.code} ${(e.details as { path?: string } | undefined)?.path}` : String(e);
  }
  return 'no error';
};

describe('Worker configuration (ORG, PEERS)', () => {
  const pin = { kid: 'root', pubB64u: 'O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik' };
  const peer = { ns: 'prod', orgId: 'org-b', baseUrl: 'https://anchors.org-b.example', pins: [pin] };

  it('reads JSON text or a table the same way', () => {
    expect(readPeers(JSON.stringify([peer]))).toEqual(readPeers([peer]));
    expect(readOrg({ ns: 'prod', orgId: 'org-a', pins: [pin] })).toEqual({ ns: 'prod', orgId: 'org-a', pins: [pin] });
  });

  it('refuses a malformed config with ERR_INVALID_ARGUMENT naming the member', () => {
    expect(code(() => readOrg('{'))).toBe('ERR_INVALID_ARGUMENT ORG');
    expect(code(() => readOrg({ ns: 'prod', orgId: 'org-a', pins: [] }))).toBe('ERR_INVALID_ARGUMENT ORG.pins');
    expect(code(() => readPeers([{ ...peer, baseUrl: 'http://anchors.org-b.example' }]))).toBe('ERR_INVALID_ARGUMENT PEERS[0].baseUrl');
    expect(code(() => readPeers([peer, peer]))).toBe('ERR_INVALID_ARGUMENT PEERS[1]');
    expect(code(() => readPeers([peer], { ns: 'prod', orgId: 'org-b', pins: [pin] }))).toBe('ERR_INVALID_ARGUMENT PEERS[0]');
    expect(code(() => readPeers({}))).toBe('ERR_INVALID_ARGUMENT PEERS');
    expect(readPeers([{ ...peer, baseUrl: 'http://127.0.0.1:8787' }])[0]!.baseUrl).toBe('http://127.0.0.1:8787/');
  });

  it('syncPins makes the pinned keys equal the config: a key taken out is unpinned, an unchanged config writes nothing', async () => {
    let writes = 0;
    const inner = memoryStorage();
    const storage: StorageDriver = { ...inner, set: (k, v) => (writes++, inner.set(k, v)), delete: (k) => (writes++, inner.delete(k)) };
    const keyA = await addSigner(memoryStorage(), { kid: 'a' });
    const keyB = await addSigner(memoryStorage(), { kid: 'b' });
    const target = { ns: 'prod', orgId: 'org-b', pins: [{ kid: 'a', pubB64u: keyA.pubB64u }, { kid: 'b', pubB64u: keyB.pubB64u }] };
    await syncPins(storage, target);
    expect((await listTrustAnchors(storage, 'prod', 'org-b')).map((t) => t.kid)).toEqual(['a', 'b']);
    writes = 0;
    await syncPins(storage, target);
    expect(writes).toBe(0);
    await syncPins(storage, { ...target, pins: [{ kid: 'b', pubB64u: keyB.pubB64u }] });
    expect((await listTrustAnchors(storage, 'prod', 'org-b')).map((t) => t.kid)).toEqual(['b']);
  });
});
