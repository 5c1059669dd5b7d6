/**
 * Local signers: this organisation's own Ed25519 keys. Public records live
 * under `fed:signers:<kid>`, secret keys apart under `fed:signer-secrets:<kid>`
 * so that listing signers never reads a secret. A signer that is retired or
 * revoked loses its secret key: it can never sign again.
 */
import { b64uToBytes, bytesToB64u } from './encoding.ts';
import { defaultRandom, generateKeyPair, publicKeyOf, type RandomSource } from './ed25519.ts';
import { AnchorSyncError } from './errors.ts';
import { guarded, keys, type StorageDriver } from './storage.ts';
import { formatTimestamp, systemClock, type Clock } from './time.ts';
import type { AnchorStatus, SignerRecord } from './types.ts';
import { validateId, validateSignerRecord } from './validate.ts';

export interface AddSignerOptions {
  /** Key id; default: the first 16 characters of the public key's base64url. */
  kid?: string;
  /** Import this 32-byte secret key instead of generating one. */
  secretKey?: Uint8Array;
  random?: RandomSource;
  clock?: Clock;
}

/**
 * Creates (or imports) a local signing key and stores it ACTIVE.
 *
 * @throws {AnchorSyncError} `ERR_SIGNER` when the kid is already used.
 * @example
 * ```ts
 * const signer = await addSigner(storage, { kid: 'root-2026' })
 * ```
 */
export async function addSigner(storage: StorageDriver, options: AddSignerOptions = {}): Promise<SignerRecord> {
  const secretKey = options.secretKey ?? generateKeyPair(options.random ?? defaultRandom).secretKey;
  const pubB64u = bytesToB64u(publicKeyOf(secretKey));
  const kid = validateId(options.kid ?? pubB64u.slice(0, 16), 'kid');
  if ((await guarded('get', () => storage.get(keys.signer(kid)))) !== undefined) {
    throw new AnchorSyncError('ERR_SIGNER', `signer ${kid} exists already`, { details: { kid } });
  }
  const now = formatTimestamp((options.clock ?? systemClock)());
  const record: SignerRecord = { kid, pubB64u, status: 'ACTIVE', createdAt: now, updatedAt: now };
  // Secret first: a crash between the writes leaves an orphan secret, never a signer without its key.
  await guarded('set', () => storage.set(keys.signerSecret(kid), bytesToB64u(secretKey)));
  await guarded('set', () => storage.set(keys.signer(kid), { ...record }));
  return record;
}

/**
 * Every local signer's public record, sorted by kid.
 *
 * @example
 * ```ts
 * for (const s of await listSigners(storage)) console.log(s.kid, s.status)
 * ```
 */
export async function listSigners(storage: StorageDriver): Promise<SignerRecord[]> {
  const names = await guarded('list', () => storage.list(keys.signerPrefix));
  const records: SignerRecord[] = [];
  for (const name of names.sort()) {
    const raw = await guarded('get', () => storage.get(name));
    if (raw !== undefined) records.push(validateSignerRecord(raw));
  }
  return records;
}

/** One local signer's public record, or `undefined`. */
export async function getSigner(storage: StorageDriver, kid: string): Promise<SignerRecord | undefined> {
  const raw = await guarded('get', () => storage.get(keys.signer(validateId(kid, 'kid'))));
  return raw === undefined ? undefined : validateSignerRecord(raw);
}

/**
 * The secret key of an ACTIVE signer, for signing. Never put it in logs or events.
 *
 * @throws {AnchorSyncError} `ERR_SIGNER` when the signer is not ACTIVE or has no secret.
 */
export async function getSignerSecret(storage: StorageDriver, kid: string): Promise<Uint8Array> {
  const record = await getSigner(storage, kid);
  if (!record || record.status !== 'ACTIVE') throw new AnchorSyncError('ERR_SIGNER', `signer ${kid} is not ACTIVE`, { details: { kid } });
  const raw = await guarded('get', () => storage.get(keys.signerSecret(kid)));
  const secret = typeof raw === 'string' ? b64uToBytes(raw) : undefined;
  if (!secret || secret.length !== 32) throw new AnchorSyncError('ERR_STORAGE_CORRUPT', `secret key of signer ${kid} is missing or malformed`);
  // A secret that does not match the stored public key would publish packs nobody can verify.
  if (bytesToB64u(publicKeyOf(secret)) !== record.pubB64u) {
    throw new AnchorSyncError('ERR_STORAGE_CORRUPT', `secret key of signer ${kid} does not match its public key`);
  }
  return secret;
}

async function moveSigner(storage: StorageDriver, kid: string, to: Exclude<AnchorStatus, 'ACTIVE'>, clock: Clock): Promise<SignerRecord> {
  const record = await getSigner(storage, kid);
  if (!record) throw new AnchorSyncError('ERR_SIGNER', `no signer ${kid}`, { details: { kid } });
  // Rule 4 for our own keys: REVOKED is final, RETIRED cannot become RETIRED again.
  if (record.status === 'REVOKED' || record.status === to) {
    throw new AnchorSyncError('ERR_SIGNER', `signer ${kid} is ${record.status}; cannot move to ${to}`, { details: { kid } });
  }
  const next: SignerRecord = { ...record, status: to, updatedAt: formatTimestamp(clock()) };
  // Status first, then drop the secret: a crash in between leaves a retired key whose secret is unused.
  await guarded('set', () => storage.set(keys.signer(kid), { ...next }));
  await guarded('delete', () => storage.delete(keys.signerSecret(kid)));
  return next;
}

/**
 * Retires a signer: its signatures made before now stay valid for peers; it signs nothing more.
 *
 * @example
 * ```ts
 * await retireSigner(storage, 'key-2025')
 * ```
 */
export function retireSigner(storage: StorageDriver, kid: string, options: { clock?: Clock } = {}): Promise<SignerRecord> {
  return moveSigner(storage, kid, 'RETIRED', options.clock ?? systemClock);
}

/**
 * Revokes a signer: peers will refuse every signature by it, past or future.
 *
 * @example
 * ```ts
 * await revokeSigner(storage, 'leaked-key')
 * ```
 */
export function revokeSigner(storage: StorageDriver, kid: string, options: { clock?: Clock } = {}): Promise<SignerRecord> {
  return moveSigner(storage, kid, 'REVOKED', options.clock ?? systemClock);
}
