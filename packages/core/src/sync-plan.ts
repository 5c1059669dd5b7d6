/**
 * Planning a sync of many peers from stored state: who is new, who is due,
 * who may wait, and who the policy does not let us pull.
 */
import { getSyncState } from './anchor-registry.ts';
import { checkCrossOrgPolicy, type CrossOrgPolicy } from './policy.ts';
import type { StorageDriver } from './storage.ts';
import { formatTimestamp, parseTimestamp, systemClock, type Clock } from './time.ts';
import { isAnchorSyncError } from './errors.ts';
import type { PeerPlan, PeerRef, SyncPlan, SyncState } from './types.ts';
import { validateId } from './validate.ts';

export interface PlanOptions {
  clock?: Clock;
  policy?: CrossOrgPolicy;
  /** Pull every peer now, ignoring refresh hints. */
  force?: boolean;
}

/**
 * Decides, for each peer, whether to pull now and from which seq.
 * Linear in the number of peers: one state read each.
 *
 * @example
 * ```ts
 * const plan = await planAnchorSync(storage, [{ ns: 'prod', orgId: 'org-a' }, { ns: 'prod', orgId: 'org-b' }])
 * plan.peers.filter((p) => p.due)
 * ```
 */
export async function planAnchorSync(storage: StorageDriver, peers: readonly PeerRef[], options: PlanOptions = {}): Promise<SyncPlan> {
  const now = (options.clock ?? systemClock)();
  const seen = new Set<string>();
  const planned: PeerPlan[] = [];
  for (const peer of peers) {
    const ns = validateId(peer.ns, 'ns');
    const orgId = validateId(peer.orgId, 'orgId');
    const id = `${ns}\u0000${orgId}`;
    if (seen.has(id)) continue;
    seen.add(id);
    let state: SyncState | undefined;
    try {
      state = await getSyncState(storage, ns, orgId);
    } catch (error) {
      // One peer's unreadable state must not stop the others: plan it due, and
      // the run reports its error as that peer's result.
      if (!isAnchorSyncError(error)) throw error;
      planned.push({ ns, orgId, since: 0, due: true, reason: 'due' });
      continue;
    }
    const plan: PeerPlan = { ns, orgId, since: state?.seq ?? 0, due: true, reason: 'due' };
    if (state?.token !== undefined) plan.token = state.token;
    const decision = await checkCrossOrgPolicy(storage, options.policy, { op: 'pull', ns, orgId, now });
    if (!decision.allowed) {
      plan.due = false;
      plan.reason = 'policy';
    } else if (options.force) plan.reason = 'forced';
    else if (!state) plan.reason = 'new';
    else if (parseTimestamp(state.expiresAt)! <= now) plan.reason = 'expired';
    else if (state.nextSyncAt !== undefined && parseTimestamp(state.nextSyncAt)! > now) {
      plan.due = false;
      plan.reason = 'not-due';
    }
    planned.push(plan);
  }
  return { createdAt: formatTimestamp(now), peers: planned };
}
