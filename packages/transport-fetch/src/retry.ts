/**
 * When and how long the client waits before trying a request again: full
 * jitter exponential backoff, or the server's `Retry-After` when it sent one.
 */
import { AnchorSyncError } from '@anchorsync/core';
import { parseNonNegativeInt } from './protocol.ts';

/** Longest single backoff step: past it, waiting longer only delays the next sync. */
export const DEFAULT_MAX_BACKOFF_MS = 5_000;

/** Longest `Retry-After` honoured; a server asking for more is not retried now. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 30_000;

/**
 * Full jitter: a uniform wait in [0, min(cap, base * 2^attempt)), so many
 * clients failing together do not come back together.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0.5;
  return Math.floor(unit * Math.min(capMs, baseMs * 2 ** attempt));
}

/** Milliseconds a `Retry-After` value (delay-seconds or an HTTP date) asks for, or `undefined`. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  const seconds = parseNonNegativeInt(text);
  if (seconds !== undefined) return seconds * 1000;
  // An HTTP date has a weekday and "GMT"; refuse anything shorter than one so Date.parse's leniency does not apply.
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The error every abort becomes, whatever the signal's reason. */
export function abortedError(signal: AbortSignal): AnchorSyncError {
  return new AnchorSyncError('ERR_ABORTED', 'the request was aborted', { cause: signal.reason });
}

/** Waits `ms`, or rejects with `ERR_ABORTED` as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
