/** Checking numeric options once, at creation: a bad one is the caller's mistake, refused before any request. */
import { AnchorSyncError } from '@anchorsync/core';

/**
 * `options[name]` when it is an integer in `min..max`, `fallback` when it is
 * absent; anything else is `ERR_INVALID_ARGUMENT` naming the option.
 */
export function intOption<O extends object, F extends number | undefined>(options: O, name: keyof O & string, min: number, max: number, fallback: F): number | F {
  const value = options[name] as unknown;
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `${name} must be an integer in ${min}..${max}`);
  }
  return value as number;
}
