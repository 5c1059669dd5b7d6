/**
 * Shared helpers for the property tests: deterministic keys and clocks,
 * whole-storage snapshots, and small JSON utilities.
 */
import { canonicalJson, publicKeyOf, bytesToB64u, type StorageDriver } from '@anchorsync/core';

export const NS = 'prod';
export const ORG = 'org-a';

/** 2026-01-01T00:00:00.000Z: every history starts here. */
export const T0 = Date.UTC(2026, 0, 1);
export const DAY_MS = 86_400_000;
/** Pack lifetime in the tests: long enough that no pack of a history expires. */
export const TTL_MS = 365 * DAY_MS;

/** A deterministic 32-byte Ed25519 seed for key number `index` (distinct per index). */
export function seedKey(index: number): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = (i * 31 + index * 97 + 13) & 0xff;
  out[0] = index & 0xff;
  out[1] = (index >> 8) & 0xff;
  return out;
}

export function pubOf(secretKey: Uint8Array): string {
  return bytesToB64u(publicKeyOf(secretKey));
}

/** A mutable clock the test moves forward by hand. */
export function manualClock(start: number): { now: number; clock: () => number; advance(ms: number): void } {
  const c = {
    now: start,
    clock: () => c.now,
    advance(ms: number) {
      c.now += ms;
    },
  };
  return c;
}

/** Every key of a storage and its value as JSON text: equal dumps mean equal storage. */
export async function dumpStorage(storage: StorageDriver): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of (await storage.list('')).sort()) out.set(name, JSON.stringify(await storage.get(name)));
  return out;
}

/** Plain object form of a dump, for readable `toEqual` diffs. */
export function dumpObject(dump: Map<string, string>): Record<string, string> {
  return Object.fromEntries(dump);
}

/** Loads a dump into a storage (fresh copies of a prepared client). */
export async function restoreStorage(storage: StorageDriver, dump: Map<string, string>): Promise<StorageDriver> {
  for (const [name, text] of dump) await storage.set(name, JSON.parse(text));
  return storage;
}

export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 8785 text of a JSON value (key order never matters, array order does). */
export function canon(value: unknown): string {
  return canonicalJson(value);
}

export const RANK = { ACTIVE: 0, RETIRED: 1, REVOKED: 2 } as const;
