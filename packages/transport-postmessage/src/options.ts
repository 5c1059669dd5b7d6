/** Checking options once, at creation: a bad one is the caller's mistake, refused before any message. */
import { AnchorSyncError } from '@anchorsync/core';

/** The error for an unusable option. */
export function invalidOption(message: string): AnchorSyncError {
  return new AnchorSyncError('ERR_INVALID_ARGUMENT', message);
}

/**
 * `options[name]` when it is an integer in `min..max`, `fallback` when it is
 * absent; anything else is `ERR_INVALID_ARGUMENT` naming the option.
 */
export function intOption<O extends object, F extends number | undefined>(options: O, name: keyof O & string, min: number, max: number, fallback: F): number | F {
  const value = options[name] as unknown;
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) throw invalidOption(`${name} must be an integer in ${min}..${max}`);
  return value as number;
}
