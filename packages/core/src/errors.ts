/**
 * The one error type anchorsync throws. Match on `code`, never on message text.
 */

/** Every stable error code the SDK can produce. */
export type AnchorSyncErrorCode =
  /** A pack or record does not match the v1 schema (rule 1). */
  | 'ERR_PACK_SCHEMA'
  /** A pack or record exceeds a size limit (rule 1). */
  | 'ERR_PACK_TOO_LARGE'
  /** An anchor in a pack belongs to another organisation (rule 1). */
  | 'ERR_PACK_FOREIGN_ANCHOR'
  /** Two anchors in one pack share a kid (rule 1). */
  | 'ERR_PACK_DUPLICATE_KID'
  /** Fewer than `threshold` distinct trusted keys signed the pack (rule 2). */
  | 'ERR_PACK_SIGNATURE'
  /** The pack's seq is lower than the last accepted seq (rule 3). */
  | 'ERR_PACK_ROLLBACK'
  /** Same seq as the last accepted pack, different bytes (rule 3). */
  | 'ERR_PACK_EQUIVOCATION'
  /** The pack's `expiresAt` is in the past (rule 3, freeze attack). */
  | 'ERR_PACK_EXPIRED'
  /** The pack does not continue the accepted log (`prev` mismatch or a gap). */
  | 'ERR_PACK_CHAIN'
  /** A kid would move backwards in its lifecycle, e.g. REVOKED -> ACTIVE (rule 4). */
  | 'ERR_PACK_LIFECYCLE'
  /** A known kid arrives with a different public key. */
  | 'ERR_PACK_KEY_CHANGED'
  /** The cross-org policy does not allow this operation for this org (rule 5). */
  | 'ERR_POLICY_DENIED'
  /** The daily cap for this operation and org is used up (rule 5). */
  | 'ERR_POLICY_CAP'
  /** The operation is outside its allowed UTC time window (rule 5). */
  | 'ERR_POLICY_WINDOW'
  /** A stored value is not what the SDK wrote there. */
  | 'ERR_STORAGE_CORRUPT'
  /** The storage driver failed. */
  | 'ERR_STORAGE'
  /** A key or value exceeds what the storage backend accepts (e.g. Cloudflare KV's 512-byte keys). */
  | 'ERR_STORAGE_LIMIT'
  /** An encrypted value failed authentication: altered, truncated, moved to another key, or the wrong key. */
  | 'ERR_STORAGE_TAMPERED'
  /** Stored state is older than a high-water mark this client recorded: a restored backup or a rollback. */
  | 'ERR_STORAGE_ROLLBACK'
  /** A local signer does not exist, or the operation does not fit its state. */
  | 'ERR_SIGNER'
  /** Publishing needs at least one ACTIVE local signer with its secret key. */
  | 'ERR_NO_SIGNER'
  /** The transport failed or answered with something that is not a page. */
  | 'ERR_TRANSPORT'
  /** The operation was aborted through its AbortSignal. */
  | 'ERR_ABORTED'
  /** A caller passed an argument the SDK cannot use. */
  | 'ERR_INVALID_ARGUMENT'
  /** The organisation or route asked for is not served here (HTTP 404). */
  | 'ERR_NOT_FOUND'
  /** The HTTP method is not allowed on this route (HTTP 405). */
  | 'ERR_METHOD_NOT_ALLOWED'
  /** A request body was not `application/json` (HTTP 415). */
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  /** A transport attempt did not complete within its time limit. */
  | 'ERR_TIMEOUT'
  /** The server failed for a reason it does not disclose (HTTP 500). */
  | 'ERR_INTERNAL';

const BRAND = 'AnchorSyncError' as const;

/**
 * Error with a stable `code`. The literal `name` survives minification, and
 * {@link isAnchorSyncError} recognises errors from duplicated package copies.
 *
 * @example
 * ```ts
 * try { await applyAnchorPack(ctx, pack) }
 * catch (e) { if (isAnchorSyncError(e, 'ERR_PACK_ROLLBACK')) console.warn('old pack') }
 * ```
 */
export class AnchorSyncError extends Error {
  override readonly name = BRAND;
  readonly code: AnchorSyncErrorCode;
  /** Extra, non-secret facts (seq numbers, org ids) for logs and audit. */
  readonly details: Readonly<Record<string, string | number | boolean>> | undefined;

  constructor(
    code: AnchorSyncErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, string | number | boolean> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }
}

/**
 * True when `e` is an anchorsync error (from any copy of the package), and,
 * when `code` is given, carries that code.
 *
 * @example
 * ```ts
 * if (isAnchorSyncError(e, 'ERR_PACK_SIGNATURE')) reject()
 * ```
 */
export function isAnchorSyncError(e: unknown, code?: AnchorSyncErrorCode): e is AnchorSyncError {
  if (typeof e !== 'object' || e === null) return false;
  const candidate = e as { name?: unknown; code?: unknown };
  if (candidate.name !== BRAND || typeof candidate.code !== 'string') return false;
  return code === undefined || candidate.code === code;
}
