/**
 * The `StorageDriver` contract and the storage key layout (DESIGN.md
 * "Storage keys"). Drivers are small and async; values are JSON-compatible.
 */
import { AnchorSyncError, isAnchorSyncError } from './errors.ts';

/** A JSON-compatible value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Key-value storage. `list(prefix)` returns every key starting with `prefix`
 * in ascending code-unit order.
 */
export interface StorageDriver {
  get(key: string): Promise<JsonValue | undefined>;
  set(key: string, value: JsonValue): Promise<void>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
}

/** Storage keys. The first two are fixed by DESIGN.md so existing data reads. */
export const keys = {
  anchors: (ns: string, orgId: string) => `fed:anchors:${ns}:${orgId}`,
  syncState: (ns: string, orgId: string) => `fed:anchors:__state__:${ns}:${orgId}`,
  signer: (kid: string) => `fed:signers:${kid}`,
  signerSecret: (kid: string) => `fed:signer-secrets:${kid}`,
  signerPrefix: 'fed:signers:',
  trustAnchor: (ns: string, orgId: string, kid: string) => `fed:trust:${ns}:${orgId}:${kid}`,
  trustPrefix: (ns?: string, orgId?: string) =>
    ns === undefined ? 'fed:trust:' : orgId === undefined ? `fed:trust:${ns}:` : `fed:trust:${ns}:${orgId}:`,
  /** Packs are stored under a zero-padded seq so `list` returns them in order. */
  pack: (ns: string, orgId: string, seq: number) => `fed:packs:${ns}:${orgId}:${String(seq).padStart(16, '0')}`,
  packPrefix: (ns: string, orgId: string) => `fed:packs:${ns}:${orgId}:`,
  /** Seqs of the base packs in the log: where a new peer can start. */
  packBases: (ns: string, orgId: string) => `fed:pack-bases:${ns}:${orgId}`,
  evidence: (ns: string, orgId: string, seq: number, hash: string) => `fed:evidence:${ns}:${orgId}:${seq}:${hash}`,
  evidencePrefix: (ns: string, orgId: string) => `fed:evidence:${ns}:${orgId}:`,
  policyCounter: (op: string, ns: string, orgId: string, day: string) => `fed:policy:${op}:${ns}:${orgId}:${day}`,
  policyPrefix: 'fed:policy:',
} as const;

/** Wraps driver failures so callers see one error type. */
export async function guarded<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (cause) {
    if (isAnchorSyncError(cause)) throw cause;
    throw new AnchorSyncError('ERR_STORAGE', `storage ${what} failed`, { cause });
  }
}
