/**
 * RFC 3339 UTC timestamps with milliseconds, the one timestamp form in packs.
 */

const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

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
  // Field arithmetic instead of Date.parse + toISOString: the same answers
  // (test/perf/timestamp.test.ts compares them) at a tenth of the cost, which
  // matters with two timestamps per anchor and 100,000 anchors per pack.
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  return ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + digits(text, 20, 3);
}

/**
 * Whether `text` is a valid `YYYY-MM-DDTHH:MM:SS.mmmZ`: the answer of
 * `parseTimestamp(text) !== undefined` without computing the instant
 * (validators check two per anchor).
 */
export function isTimestamp(text: string): boolean {
  if (!RFC3339_MS.test(text)) return false;
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(digits(text, 0, 4), month) && digits(text, 11, 2) <= 23 && digits(text, 14, 2) <= 59 && digits(text, 17, 2) <= 59;
}

function digits(text: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) n = n * 10 + text.charCodeAt(i) - 48;
  return n;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (year 0 to 9999), by eras of 400 years. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Formats epoch ms as an RFC 3339 UTC timestamp with milliseconds. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}
