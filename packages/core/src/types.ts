/**
 * The v1 data model (DESIGN.md "Data model") and the shapes the engine
 * returns. Values that cross a trust boundary are checked by `validate.ts`.
 */

/** Lifecycle of a key: ACTIVE -> RETIRED -> REVOKED, or ACTIVE -> REVOKED. */
export type AnchorStatus = 'ACTIVE' | 'RETIRED' | 'REVOKED';

/** A public signing key of an organisation. */
export interface Anchor {
  orgId: string;
  kid: string;
  /** 32-byte Ed25519 public key, base64url without padding (JWK `x`). */
  pubB64u: string;
  status: AnchorStatus;
  /** RFC 3339 UTC with milliseconds. */
  createdAt: string;
  /** RFC 3339 UTC with milliseconds; for RETIRED and REVOKED, when that happened. */
  updatedAt: string;
}

/** One signature over a pack's signing bytes. */
export interface PackSignature {
  kid: string;
  alg: 'Ed25519';
  /** 64-byte signature, base64url without padding. */
  sig: string;
}

/**
 * A signed, sequenced set of anchor records for (ns, orgId).
 *
 * A pack without `prev` is a base: it lists every kid the organisation has
 * published. A pack with `prev` continues the log and lists only the kids
 * that changed since the pack `prev` names. Applying the log in order gives
 * the organisation's anchors.
 */
export interface AnchorPack {
  v: 1;
  ns: string;
  orgId: string;
  seq: number;
  issuedAt: string;
  expiresAt: string;
  /** base64url SHA-256 of the previous pack's signing bytes. */
  prev?: string;
  anchors: Anchor[];
  sig: PackSignature[];
}

/** An AnchorPack before signing. */
export type UnsignedAnchorPack = Omit<AnchorPack, 'sig'>;

/** A local signing key's public record (the secret is stored apart). */
export interface SignerRecord {
  kid: string;
  pubB64u: string;
  status: AnchorStatus;
  createdAt: string;
  updatedAt: string;
}

/** A federated key pinned out of band as trusted to sign packs for a peer org. */
export interface TrustAnchor {
  ns: string;
  orgId: string;
  kid: string;
  pubB64u: string;
  pinnedAt: string;
}

/** What the client remembers about a peer's log. */
export interface SyncState {
  ns: string;
  orgId: string;
  /** Last accepted seq. */
  seq: number;
  /** base64url SHA-256 of the last accepted pack's signing bytes. */
  hash: string;
  /** `issuedAt` and `expiresAt` of the last accepted pack. */
  issuedAt: string;
  expiresAt: string;
  /** Continuation token of an unfinished pull, if any. */
  token?: string;
  /** When this client last completed a sync of the peer. */
  lastSyncAt: string;
  /** Earliest time the publisher asked to be polled again. */
  nextSyncAt?: string;
}

/** A peer organisation to sync. */
export interface PeerRef {
  ns: string;
  orgId: string;
}

/** What `planAnchorSync` decided for one peer. */
export interface PeerPlan extends PeerRef {
  /** Pull packs after this seq (0 for a new peer). */
  since: number;
  /** Resume token of an interrupted pull. */
  token?: string;
  /** Whether to pull now. */
  due: boolean;
  reason: 'new' | 'due' | 'forced' | 'expired' | 'not-due' | 'policy';
}

export interface SyncPlan {
  createdAt: string;
  peers: PeerPlan[];
}

/** Per-anchor counts of one apply or one sync. */
export interface ApplyCounts {
  /** Kids seen for the first time. */
  added: number;
  /** Known kids whose record changed (each is also counted in `retired` or `revoked`). */
  updated: number;
  /** Known kids that moved ACTIVE -> RETIRED. */
  retired: number;
  /** Known kids that moved to REVOKED. */
  revoked: number;
  /** Records that repeated what was stored. */
  unchanged: number;
}

export interface SyncRejection {
  code: string;
  message: string;
  seq?: number;
}

/** The outcome of syncing one peer. */
export interface SyncResult extends PeerRef, ApplyCounts {
  ok: boolean;
  fromSeq: number;
  toSeq: number;
  pages: number;
  packsApplied: number;
  rejected?: SyncRejection;
  /** Non-fatal findings, e.g. `CLOCK_SKEW` for a pack issued in the future. */
  warnings: string[];
}
