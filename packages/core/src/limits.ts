/**
 * Security limits and defaults, each a named constant with the reason for
 * its value. Callers can lower most of them through options.
 */

/** Longest ns, orgId or kid. Keeps storage keys well under KV's 512-byte limit. */
export const MAX_ID_LENGTH = 128;

/** Most anchors in one pack. Bounds memory and verify time for a hostile pack. */
export const MAX_ANCHORS_PER_PACK = 100_000;

/** Most signatures on one pack. Bounds the verify work an attacker can cause. */
export const MAX_SIGNATURES_PER_PACK = 16;

/** Most packs one pull page may carry. */
export const MAX_PACKS_PER_PAGE = 64;

/** Most pages one sync run follows for one peer before it stops (resumes next run). */
export const MAX_PAGES_PER_SYNC = 1_000;

/**
 * How far `issuedAt` may be ahead of the local clock before a warning:
 * five minutes covers ordinary clock drift (DESIGN.md rule 3: warn, still accept).
 */
export const CLOCK_SKEW_TOLERANCE_MS = 5 * 60_000;

/** Default pack lifetime: a week. A client that sees no newer pack after it treats the peer as frozen. */
export const DEFAULT_PACK_TTL_MS = 7 * 24 * 3_600_000;

/** Default number of distinct trusted keys that must sign a pack (DESIGN.md rule 2). */
export const DEFAULT_THRESHOLD = 1;

/** Default number of peers synced at once. */
export const DEFAULT_SYNC_CONCURRENCY = 4;

/** Domain prefix of a pack's signing bytes: a pack signature can never be mistaken for a message signature. */
export const PACK_DOMAIN = 'anchorsync/pack/v1\n';

/** Domain prefix of the message a pack signature covers: the pack's 32-byte digest follows it. */
export const PACK_SIGNATURE_DOMAIN = 'anchorsync/pack-sig/v1\n';
