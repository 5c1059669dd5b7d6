import { describe, expect, it } from 'vitest';
import { plainJsonSize } from '../src/plain-data.ts';
import { WIRE_CODES } from '../src/protocol.ts';
import { isWireCode } from '../src/wire.ts';

describe('error codes on the wire', () => {
  it('both sides let cross exactly the codes WIRE_CODES marks (the table lists every core code)', () => {
    const codes = Object.keys(WIRE_CODES) as (keyof typeof WIRE_CODES)[];
    expect(codes.length).toBeGreaterThanOrEqual(29);
    for (const code of codes) expect(isWireCode(code), code).toBe(WIRE_CODES[code]);
  });

  it('strings that only look like a wire code are not one', () => {
    for (const value of ['', 'toString', 'ERR_PACK_SCHEMAX', 'XERR_PACK_SCHEMA', ' ERR_INTERNAL', 'ERR_INTERNAL\n', 'err_internal', 'ERR_PACK_', 'ERR_STORAGE', 42, null, {}]) {
      expect(isWireCode(value), String(value)).toBe(false);
    }
  });
});

describe('plainJsonSize', () => {
  it('the size of plain data is its JSON length', () => {
    const values: unknown[] = [0, -1.5, 1e21, true, false, null, '', 'abc', [], {}, [1, 'x', null], { a: [1, 'x'], b: { c: false } }, Object.create(null) as object];
    for (const value of values) expect(plainJsonSize(value, 1_000), JSON.stringify(value)).toEqual({ size: JSON.stringify(value).length });
  });

  it('anything JSON cannot say, or nested past 32, is not plain', () => {
    const deep = JSON.parse(`${'['.repeat(33)}${']'.repeat(33)}`) as unknown;
    class Point {
      x = 1;
    }
    for (const value of [undefined, () => 1, NaN, Infinity, 1n, Symbol('s'), new Date(0), new Map(), new Uint8Array(1), new Point(), [1, , 3], { a: undefined }, deep]) {
      expect(plainJsonSize(value, 1_000), String(value)).toEqual({ error: 'not-plain' });
    }
    expect(plainJsonSize(JSON.parse(`${'['.repeat(32)}${']'.repeat(32)}`), 1_000)).toEqual({ size: 64 });
  });

  it('a value past the limit is too large, found without walking all of it', () => {
    expect(plainJsonSize('x'.repeat(99), 101)).toEqual({ size: 101 });
    expect(plainJsonSize('x'.repeat(99), 100)).toEqual({ error: 'too-large' });
    const sparse: unknown[] = [];
    sparse.length = 1e9;
    const started = Date.now();
    expect(plainJsonSize({ sparse }, 1_000_000)).toEqual({ error: 'too-large' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = [cyclic, cyclic];
    expect(plainJsonSize(cyclic, 1_000_000)).toEqual({ error: 'not-plain' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
