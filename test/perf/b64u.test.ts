/**
 * isB64uOfLength, the allocation-free check the validators use for every
 * key and signature, gives the same answer as decoding with b64uToBytes and
 * checking the length, including for padding, foreign characters and
 * non-zero spare bits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { b64uToBytes, bytesToB64u } from '@anchorsync/core';
import { isB64uOfLength } from '../../packages/core/src/encoding.ts';

const LENGTHS = [0, 1, 2, 3, 31, 32, 33, 64];

describe('isB64uOfLength', () => {
  it('agrees with decoding on generated near-base64url text', () => {
    const alphabet = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split(''), '=', '+', '/', ' ', 'é', '\u0000');
    const text = fc.oneof(fc.array(alphabet, { maxLength: 90 }).map((a) => a.join('')), fc.string({ maxLength: 90 }));
    fc.assert(
      fc.property(text, fc.constantFrom(...LENGTHS), (t, n) => {
        expect(isB64uOfLength(t, n)).toBe(b64uToBytes(t)?.length === n);
      }),
      { numRuns: 20_000, seed: 4648 },
    );
  });

  it('accepts every encoding of real bytes and refuses each with a spare bit flipped', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = bytesToB64u(bytes);
        expect(isB64uOfLength(text, bytes.length)).toBe(true);
        expect(isB64uOfLength(text, bytes.length + 1)).toBe(false);
        if (bytes.length % 3 !== 0) {
          const last = text.charCodeAt(text.length - 1);
          const flipped = text.slice(0, -1) + (last === 65 ? 'B' : 'A');
          expect(isB64uOfLength(flipped, bytes.length)).toBe(b64uToBytes(flipped)?.length === bytes.length);
        }
      }),
      { numRuns: 2_000, seed: 2 },
    );
  });
});
