/**
 * When and how long the client waits before trying a request again: full
 * jitter exponential backoff, or the server's `Retry-After` when it sent one.
 */
import { AnchorSyncError } from '@anchorsync/core';
import { parseNonNegativeInt } from './wire.ts';

/** Longest single backoff step: past it, waiting longer only delays the next sync. */
export const DEFAULT_MAX_BACKOFF_MS = 5_000;

/** Longest `Retry-After` honoured; a server asking for more is not retried now. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 30_000;

/**
 * Full jitter: a uniform wait in [0, min(cap, base * 2^attempt)), so many
 * clients failing together do not come back together.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  // A custom `random` outside [0, 1) (or NaN) must not turn into a negative, huge or NaN wait.
  return Math.floor(Math.min(Math.max(random() || 0, 0), 1) * Math.min(capMs, baseMs * 2 ** attempt));
}

/**
 * Whole seconds a `Retry-After` value asks to wait, or `undefined`:
 * delay-seconds, or an HTTP date (IMF-fixdate, rounded up so never sooner
 * than asked). A date must read back exactly as written, so the leniency of
 * `Date.parse` never turns garbage into a wait.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  const seconds = parseNonNegativeInt(value);
  if (seconds !== undefined) return seconds;
  const at = new Date(value ?? '');
  return at.toUTCString() === value ? Math.max(0, Math.ceil((at.getTime() - now) / 1000)) : undefined;
}

/** The error every abort becomes, whatever the signal's reason. */
export function abortedError(signal: AbortSignal): AnchorSyncError {
  return new AnchorSyncError('ERR_ABORTED', 'the request was aborted', { cause: signal.reason });
}

/** Waits `ms`, or less when `signal` aborts (the caller checks it next). */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (signal?.aborted) done();
    else signal?.addEventListener('abort', done);
  });
}
