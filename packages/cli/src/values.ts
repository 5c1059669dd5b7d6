/**
 * Reading option values: required and optional strings, repeated options,
 * durations (`7d`), ports and ids, each failing as a usage error that names
 * the option.
 */
import { validateId } from '@anchorsync/core';
import { usage } from './cli-error.ts';
import type { OptionValues } from './command.ts';

/** An optional string option; `undefined` when absent. */
export function optionalString(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw usage(`--${name} takes one value`);
  if (v.length === 0) throw usage(`--${name} must not be empty`);
  return v;
}

/** A required string option. */
export function requireString(values: OptionValues, name: string): string {
  const v = optionalString(values, name);
  if (v === undefined) throw usage(`--${name} is required`);
  return v;
}

/** A repeatable string option, as a list (empty when absent). */
export function strings(values: OptionValues, name: string): string[] {
  const v = values[name];
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  for (const item of list) {
    if (typeof item !== 'string' || item.length === 0) throw usage(`--${name} must not be empty`);
  }
  return list as string[];
}

/** A boolean flag. */
export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** An id (ns, orgId, kid), checked as core checks it, reported as a usage error. */
export function id(value: string, option: string): string {
  try {
    return validateId(value, option);
  } catch {
    throw usage(`--${option} "${value}" is not an id: 1 to 128 of [A-Za-z0-9._~@+-]`);
  }
}

/** A required id option. */
export function requireId(values: OptionValues, name: string): string {
  return id(requireString(values, name), name);
}

/** An optional id option. */
export function optionalId(values: OptionValues, name: string): string | undefined {
  const v = optionalString(values, name);
  return v === undefined ? undefined : id(v, name);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Longest pack lifetime the CLI signs: a year. A longer one defeats freeze protection. */
const MAX_TTL_MS = 366 * 86_400_000;

/**
 * A duration such as `90s`, `12h`, `7d`, `2w` (a bare number is seconds), in ms.
 *
 * @example
 * ```ts
 * parseDuration('7d', 'ttl') // 604800000
 * ```
 */
export function parseDuration(text: string, option: string): number {
  const m = /^(\d{1,12})(ms|s|m|h|d|w)?$/.exec(text);
  if (!m) throw usage(`--${option} "${text}" is not a duration such as 90s, 12h, 7d or 2w`);
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? 's']!;
  if (ms < 1_000 || ms > MAX_TTL_MS) throw usage(`--${option} must be from 1s to 366d`);
  return ms;
}

/** A non-negative integer option within `[min, max]`, or `fallback` when absent. */
export function integer(values: OptionValues, name: string, fallback: number, min: number, max: number): number {
  const v = optionalString(values, name);
  if (v === undefined) return fallback;
  if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max) throw usage(`--${name} must be an integer from ${min} to ${max}`);
  return Number(v);
}

/** An http(s) URL option, checked before anything is written. */
export function httpUrl(values: OptionValues, name: string): string | undefined {
  const v = optionalString(values, name);
  if (v === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw usage(`--${name} "${v}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage(`--${name} must be an http or https URL`);
  return v;
}
