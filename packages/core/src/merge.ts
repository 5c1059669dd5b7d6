/**
 * Merging a pack's anchor records into the stored ones (DESIGN.md rule 4).
 * Pure and linear in the number of anchors: one Map, one pass, and a sort
 * only when the result is out of kid order (bench/verify-apply.ts shows the
 * per-anchor cost flat from 100 to 100,000).
 */
import { AnchorSyncError } from './errors.ts';
import type { Anchor, AnchorStatus, ApplyCounts } from './types.ts';

const RANK: Record<AnchorStatus, number> = { ACTIVE: 0, RETIRED: 1, REVOKED: 2 };

export interface MergeResult {
  anchors: Anchor[];
  counts: ApplyCounts;
  changed: boolean;
  /** Kids a base pack left out although we know them (kept as they were). */
  omitted: string[];
}

/**
 * Applies `incoming` records to `stored`.
 *
 * - A new kid is added with whatever status it has.
 * - A known kid must keep its public key (`ERR_PACK_KEY_CHANGED`).
 * - Status moves only forward, ACTIVE -> RETIRED -> REVOKED or
 *   ACTIVE -> REVOKED (`ERR_PACK_LIFECYCLE` otherwise): a REVOKED key is
 *   never resurrected.
 * - A record at the status we already hold is a duplicate: the stored one,
 *   first seen, wins, so a RETIRED key's retirement time cannot be moved later.
 * - A kid missing from the pack keeps its stored record.
 *
 * Counts: `updated` is every known kid whose record changed; `retired` and
 * `revoked` say which of those changes were retirements and revocations.
 *
 * @throws {AnchorSyncError} `ERR_PACK_KEY_CHANGED` or `ERR_PACK_LIFECYCLE`.
 */
export function mergeAnchors(stored: readonly Anchor[], incoming: readonly Anchor[], isBase: boolean): MergeResult {
  if (stored.length === 0 && strictlySorted(incoming)) {
    // A first pack, sorted as publishers send it: every kid is new and none repeats.
    const counts = { added: incoming.length, updated: 0, retired: 0, revoked: 0, unchanged: 0 };
    return { anchors: [...incoming], counts, changed: incoming.length > 0, omitted: [] };
  }
  const byKid = new Map<string, Anchor>();
  for (const a of stored) byKid.set(a.kid, a);
  const counts: ApplyCounts = { added: 0, updated: 0, retired: 0, revoked: 0, unchanged: 0 };
  const seen = isBase ? new Set<string>() : undefined;
  for (const next of incoming) {
    seen?.add(next.kid);
    const prev = byKid.get(next.kid);
    if (!prev) {
      byKid.set(next.kid, next);
      counts.added++;
      continue;
    }
    if (prev.pubB64u !== next.pubB64u) {
      throw new AnchorSyncError('ERR_PACK_KEY_CHANGED', `kid ${next.kid} arrived with a different public key`, {
        details: { kid: next.kid },
      });
    }
    const from = RANK[prev.status];
    const to = RANK[next.status];
    if (to < from) {
      throw new AnchorSyncError('ERR_PACK_LIFECYCLE', `kid ${next.kid} cannot move from ${prev.status} to ${next.status}`, {
        details: { kid: next.kid, from: prev.status, to: next.status },
      });
    }
    if (to === from) {
      counts.unchanged++;
      continue;
    }
    byKid.set(next.kid, { ...next, createdAt: prev.createdAt });
    counts.updated++;
    if (next.status === 'REVOKED') counts.revoked++;
    else counts.retired++;
  }
  const omitted: string[] = [];
  if (seen) for (const kid of byKid.keys()) if (!seen.has(kid)) omitted.push(kid);
  const changed = counts.added + counts.updated > 0;
  const anchors = changed ? sortedByKid([...byKid.values()]) : [...stored];
  return { anchors, counts, changed, omitted };
}

function strictlySorted(list: readonly Anchor[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i - 1]!.kid >= list[i]!.kid) return false;
  return true;
}

/**
 * Sorts by kid in place, after one linear check: stored lists are sorted and
 * publishers send sorted packs, so the merged list usually already is.
 */
function sortedByKid(list: Anchor[]): Anchor[] {
  for (let i = 1; i < list.length; i++) {
    if (list[i - 1]!.kid > list[i]!.kid) return list.sort((a, b) => (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0));
  }
  return list;
}
