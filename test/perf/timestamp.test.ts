/**
 * parseTimestamp's arithmetic (packages/core/src/time.ts) answers exactly
 * as the round trip it replaced (regex, Date.parse, toISOString must give
 * the text back): the same epoch milliseconds for every valid timestamp and
 * `undefined` for every invalid one, checked on generated near-miss text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '@anchorsync/core';
import { isTimestamp } from '../../packages/core/src/time.ts';

const RFC3339_MS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z$/;

/** The previous implementation, kept here as the reference. */
function reference(text: string): number | undefined {
  if (typeof text !== 'string' || !RFC3339_MS.test(text)) return undefined;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) return undefined;
  return new Date(ms).toISOString() === text ? ms : undefined;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

describe('parseTimestamp', () => {
  it('agrees with the Date.parse round trip on every field near and past its range', () => {
    const fields = fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 999 }));
    let valid = 0;
    fc.assert(
      fc.property(fields, ([y, mo, d, h, mi, s, ms]) => {
        const text = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(ms, 3)}Z`;
        const want = reference(text);
        if (want !== undefined) valid++;
        expect(parseTimestamp(text)).toBe(want);
        expect(isTimestamp(text)).toBe(want !== undefined);
      }),
      { numRuns: 20_000, seed: 3339 },
    );
    expect(valid).toBeGreaterThan(5_000);
  });

  it('agrees on leap days, year 0, the last millisecond of 9999 and other edges', () => {
    for (const text of [
      '0000-01-01T00:00:00.000Z',
      '0000-02-29T00:00:00.000Z',
      '0099-12-31T23:59:59.999Z',
      '1900-02-29T00:00:00.000Z',
      '2000-02-29T12:00:00.000Z',
      '2100-02-29T00:00:00.000Z',
      '1969-12-31T23:59:59.999Z',
      '1970-01-01T00:00:00.000Z',
      '2026-11-25T18:27:36.000Z',
      '2026-11-25T24:00:00.000Z',
      '2026-06-31T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
    ]) {
      expect(parseTimestamp(text), text).toBe(reference(text));
    }
  });

  it('agrees on arbitrary text, including almost-timestamps', () => {
    const nearly = fc.stringMatching(/^[0-9]{3,5}-[0-9]{1,2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,4})?(Z|\+00:00)?$/);
    fc.assert(
      fc.property(fc.oneof(fc.string(), nearly), (text) => {
        expect(parseTimestamp(text)).toBe(reference(text));
        expect(isTimestamp(text)).toBe(reference(text) !== undefined);
      }),
      { numRuns: 5_000, seed: 1 },
    );
  });

  it('agrees when any one character of a valid timestamp is replaced (digits, separators, look-alikes, non-ASCII digits)', () => {
    const valid = fc.integer({ min: 0, max: 253_402_300_799_999 }).map((ms) => new Date(ms).toISOString());
    const chars = fc.constantFrom(...'0123456789-:.TZtz +/\u0660\uff10\u00001'.split(''));
    let refused = 0;
    fc.assert(
      fc.property(valid, fc.nat(23), chars, (text, at, c) => {
        const edited = text.slice(0, at) + c + text.slice(at + 1);
        const want = reference(edited);
        if (want === undefined) refused++;
        expect(parseTimestamp(edited)).toBe(want);
        expect(isTimestamp(edited)).toBe(want !== undefined);
      }),
      { numRuns: 20_000, seed: 24 },
    );
    expect(refused).toBeGreaterThan(5_000);
  });
});
