// The stored format is exactly what the README documents, checked with an
// implementation of the same primitives that shares no code with WebCrypto's
// use here (node:crypto: OpenSSL's HKDF, HMAC and AES-256-GCM): sub-keys by
// HKDF-SHA-256, the tag and blinded segments by HMAC-SHA-256, the value by
// AES-256-GCM with a 96-bit IV and the blinded name in the associated data.
import { createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { b64uToBytes, bytesToB64u } from '@anchorsync/core';
import { memoryStorage } from '@anchorsync/storage-memory';
import { describe, expect, it } from 'vitest';
import { encryptedStorage } from '../src/index.ts';
import { testBytes, testKey } from './helpers.ts';

const master = testBytes(5);
const subKey = (purpose: string) => Buffer.from(hkdfSync('sha256', master, new Uint8Array(), `anchorsync/storage-encrypted/v2 ${purpose}`, 32));
const hmac = (input: string, bytes: number) => bytesToB64u(createHmac('sha256', subKey('names')).update(input).digest().subarray(0, bytes));

describe('the stored format, recomputed with node:crypto', () => {
  it('the inner name is e2 + the 8-byte tag, then 16 bytes of HMAC per path segment', async () => {
    const inner = memoryStorage();
    await encryptedStorage(inner, { key: await testKey(5) }).set('fed:anchors:prod', 1);
    expect(await inner.list('')).toEqual([`e2${hmac('t', 8)}:${hmac('nfed', 16)}:${hmac('nfed:anchors', 16)}:${hmac('nfed:anchors:prod', 16)}`]);
  });

  it('the value is AES-256-GCM of { k, v } with the version and the inner name as associated data', async () => {
    const inner = memoryStorage();
    await encryptedStorage(inner, { key: await testKey(5) }).set('fed:a', { seq: 7, note: 'Grüße' });
    const [innerName] = await inner.list('');
    const env = (await inner.get(innerName!)) as { v: number; n: string; c: string };
    expect(env.v).toBe(2);
    const body = b64uToBytes(env.c)!;
    const decipher = createDecipheriv('aes-256-gcm', subKey('values'), b64uToBytes(env.n)!);
    decipher.setAAD(Buffer.from(`anchorsync/storage-encrypted\nv2\n${innerName}`));
    decipher.setAuthTag(body.subarray(-16));
    const plaintext = Buffer.concat([decipher.update(body.subarray(0, -16)), decipher.final()]).toString('utf8');
    expect(plaintext).toBe('{"k":"fed:a","v":{"seq":7,"note":"Grüße"}}');
  });
});
