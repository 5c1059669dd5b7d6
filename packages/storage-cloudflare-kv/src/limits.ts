/**
 * Cloudflare KV's documented limits, checked before KV is called so an
 * oversized key or value fails with `ERR_STORAGE_LIMIT` and writes nothing.
 * (https://developers.cloudflare.com/kv/platform/limits/)
 */
import { AnchorSyncError } from '@anchorsync/core';

/** KV rejects keys longer than this many UTF-8 bytes. */
export const KV_MAX_KEY_BYTES = 512;
/** KV rejects values larger than 25 MiB. */
export const KV_MAX_VALUE_BYTES = 26_214_400; // 25 MiB, a literal so bundlers see no top-level work
/** The most keys one KV `list` call returns. */
export const KV_MAX_LIST_LIMIT = 1000;
/** KV allows one write per second to the same key; faster writes fail with HTTP 429. */
export const KV_SAME_KEY_WRITE_SPACING_MS = 1000;

/** Returns `key` if KV accepts it as a key name. */
export function checkKey(key: string): string {
  if (key === '' || key === '.' || key === '..') {
    throw new AnchorSyncError('ERR_STORAGE_LIMIT', `KV does not accept the key ${JSON.stringify(key)}`);
  }
  checkBytes('key', key, KV_MAX_KEY_BYTES);
  return key;
}

/** Throws `ERR_STORAGE_LIMIT` when `text` is longer than `limit` bytes of UTF-8. */
export function checkBytes(what: string, text: string, limit: number): void {
  if (utf8Length(text, limit) > limit) {
    throw new AnchorSyncError('ERR_STORAGE_LIMIT', `KV ${what} is longer than ${limit} bytes of UTF-8`, { details: { limit } });
  }
}

/** UTF-8 length of `text`, counted no further than `stop + 1` (a lone surrogate encodes as 3-byte U+FFFD). */
function utf8Length(text: string, stop: number): number {
  if (text.length > stop) return stop + 1;
  let bytes = 0;
  for (let i = 0; i < text.length && bytes <= stop; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c < 0xdc00 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) (bytes += 4), i++;
    else bytes += 3;
  }
  return bytes;
}
