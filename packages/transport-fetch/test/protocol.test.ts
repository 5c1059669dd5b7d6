import { describe, expect, it } from 'vitest';
import type { AnchorSyncErrorCode } from '@anchorsync/core';
import { WIRE_STATUS } from '../src/protocol.ts';
import { parseRetryAfter } from '../src/retry.ts';
import { isWireCode } from '../src/wire.ts';

/** Every core error code, once; the `satisfies` fails the build when core adds or drops one. */
const ALL_CODES = Object.keys({
  ERR_PACK_SCHEMA: 1,
  ERR_PACK_TOO_LARGE: 1,
  ERR_PACK_FOREIGN_ANCHOR: 1,
  ERR_PACK_DUPLICATE_KID: 1,
  ERR_PACK_SIGNATURE: 1,
  ERR_PACK_ROLLBACK: 1,
  ERR_PACK_EQUIVOCATION: 1,
  ERR_PACK_EXPIRED: 1,
  ERR_PACK_CHAIN: 1,
  ERR_PACK_LIFECYCLE: 1,
  ERR_PACK_KEY_CHANGED: 1,
  ERR_POLICY_DENIED: 1,
  ERR_POLICY_CAP: 1,
  ERR_POLICY_WINDOW: 1,
  ERR_STORAGE_CORRUPT: 1,
  ERR_STORAGE: 1,
  ERR_STORAGE_LIMIT: 1,
  ERR_STORAGE_TAMPERED: 1,
  ERR_STORAGE_ROLLBACK: 1,
  ERR_SIGNER: 1,
  ERR_NO_SIGNER: 1,
  ERR_TRANSPORT: 1,
  ERR_ABORTED: 1,
  ERR_INVALID_ARGUMENT: 1,
  ERR_NOT_FOUND: 1,
  ERR_METHOD_NOT_ALLOWED: 1,
  ERR_UNSUPPORTED_MEDIA_TYPE: 1,
  ERR_TIMEOUT: 1,
  ERR_INTERNAL: 1,
} satisfies Record<AnchorSyncErrorCode, 1>);

describe('error codes on the wire', () => {
  it('a client passes on exactly the codes a server may send: the pattern and the status table agree on every core code', () => {
    for (const code of ALL_CODES) expect(isWireCode(code), code).toBe(Object.hasOwn(WIRE_STATUS, code));
    expect(Object.keys(WIRE_STATUS).every((code) => ALL_CODES.includes(code))).toBe(true);
  });

  it('strings that only look like a wire code are not one', () => {
    for (const value of ['', 'toString', 'ERR_PACK_SCHEMAX', 'XERR_PACK_SCHEMA', ' ERR_INTERNAL', 'ERR_INTERNAL\n', 'err_internal', 'ERR_PACK_', 'ERR_STORAGE', 42, null, {}]) {
      expect(isWireCode(value), String(value)).toBe(false);
    }
  });
});

describe('Retry-After', () => {
  const now = Date.UTC(2026, 10, 26, 12, 0, 0, 250);

  it('delay-seconds and IMF-fixdate HTTP dates are read, dates rounded up to whole seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90);
    expect(parseRetryAfter('Thu, 05 Nov 2026 00:00:00 GMT', now)).toBe(0);
  });

  it('anything else asks for nothing, so the lenient Date.parse never turns garbage into a wait', () => {
    for (const value of [null, '', ' 5', '5 ', '1.5', '-1', '01', '1e3', 'tomorrow', '2026-11-26T12:01:00Z', 'Thu, 26 Nov 2026 12:01:00 +0000', 'Thursday, 26-Nov-26 12:01:00 GMT', 'Thu, 26 Nov 2026 12:01:00 gmt', 'Thu Nov 26 12:01:00 2026']) {
      expect(parseRetryAfter(value, now), String(value)).toBeUndefined();
    }
  });
});
