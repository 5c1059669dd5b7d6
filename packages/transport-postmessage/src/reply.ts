/**
 * The client's schema check of a reply (protocol.ts), and of the `result`
 * of the two Transport ops. The responder is untrusted like any transport: a
 * reply that breaks the schema fails its request with `ERR_TRANSPORT`, and
 * core still verifies every pack it carries.
 */
import { AnchorSyncError, MAX_PACKS_PER_PAGE, type PullPage, type PushResult } from '@anchorsync/core';
import { isPlainObject, plainJsonSize } from './plain-data.ts';
import { MAX_REFRESH_AFTER_SEC } from './protocol.ts';
import { cleanMessage, isWireCode } from './wire.ts';

export function refused(what = 'a malformed reply'): never {
  throw new AnchorSyncError('ERR_TRANSPORT', `responder answered with ${what}`);
}

/** `value` when it is a plain object whose members are all named in `allowed` (space-separated). */
export function only(value: unknown, allowed: string): Record<string, unknown> {
  if (!isPlainObject(value) || Object.keys(value).some((name) => !allowed.split(' ').includes(name))) refused();
  return value;
}

/**
 * The result of a reply (its envelope already matched to a waiting id), or
 * the error it stands for: the responder's code when the protocol lets it
 * cross, else `ERR_TRANSPORT`.
 */
export function replyOf(data: unknown, maxReplyBytes: number): unknown {
  const sized = plainJsonSize(data, maxReplyBytes);
  if ('error' in sized) refused(sized.error === 'too-large' ? `more than ${maxReplyBytes} bytes` : 'something that is not plain JSON data');
  const { ok, result, error } = only(data, 'anchorsync id ok result error');
  if (ok === true && result !== undefined && error === undefined) return result;
  const { code, message } = ok === false && result === undefined ? only(error, 'code message') : refused();
  if (!isWireCode(code) || typeof message !== 'string') return refused('an unknown error');
  throw new AnchorSyncError(code, `responder: ${cleanMessage(message)}`);
}

const safeInt = (value: unknown, min: number, max: number): boolean => Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;

export function checkPage(result: unknown): PullPage {
  const page = only(result, 'packs next notModified refreshAfterSec');
  const { packs, next, notModified, refreshAfterSec } = page;
  if (
    !Array.isArray(packs) ||
    packs.length > MAX_PACKS_PER_PAGE ||
    (next !== undefined && (typeof next !== 'string' || next.length === 0 || next.length > 1024)) ||
    (notModified !== undefined && (notModified !== true || packs.length > 0 || next !== undefined)) ||
    (refreshAfterSec !== undefined && !safeInt(refreshAfterSec, 0, MAX_REFRESH_AFTER_SEC))
  ) {
    refused();
  }
  return page as unknown as PullPage;
}

export function checkPushResult(result: unknown): PushResult {
  const r = only(result, 'stored seq');
  if (typeof r.stored !== 'boolean' || !safeInt(r.seq, 1, Number.MAX_SAFE_INTEGER)) refused();
  return r as unknown as PushResult;
}

