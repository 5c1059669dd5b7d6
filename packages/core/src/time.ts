/**
 * RFC 3339 UTC timestamps with milliseconds, the one timestamp form in packs.
 */

const RFC3339_MS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z$/;

/** A clock in milliseconds since the epoch; injectable for tests. */
export type Clock = () => number;

/** The default clock. */
export const systemClock: Clock = () => Date.now();

/**
 * Parses `YYYY-MM-DDTHH:MM:SS.mmmZ` to epoch ms, or `undefined` when the
 * text is not exactly that form or not a real date (e.g. Feb 30).
 *
 * @example
 * ```ts
 * parseTimestamp('2026-11-25T18:27:36.000Z') // 1795631256000
 * ```
 */
export function parseTimestamp(text: string): number | undefined {
  if (typeof text !== 'string' || !RFC3339_MS.test(text)) return undefined;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) return undefined;
  // Round-trip rejects dates JS would silently normalise (2026-02-30).
  return new Date(ms).toISOString() === text ? ms : undefined;
}

/** Formats epoch ms as an RFC 3339 UTC timestamp with milliseconds. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}
