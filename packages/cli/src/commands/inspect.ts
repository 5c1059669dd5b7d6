/**
 * `inspect`: what this store knows. For every organisation (peers and the
 * local one) its sync state (seq, expiry, staleness) and its anchors with
 * status; plus local signers and pinned keys.
 */
import { getAnchors, getSyncState, listSigners, listTrustAnchors, parseTimestamp, type Anchor, type SyncState } from '@anchorsync/core';
import type { Command, CommandContext } from '../command.ts';
import { isLocalOrg } from '../local-org.ts';
import { table } from '../output.ts';
import { optionalId } from '../values.ts';
import { usage } from '../cli-error.ts';
import { signerTable } from './signer.ts';

interface OrgView {
  ns: string;
  orgId: string;
  local: boolean;
  state: SyncState | null;
  /** True when the last accepted pack has expired: its keys are not used (freeze protection). */
  stale: boolean;
  anchors: Anchor[];
}

const ANCHORS_PREFIX = 'fed:anchors:';
const STATE_PREFIX = 'fed:anchors:__state__:';

/** Every (ns, orgId) with stored anchors or sync state. Ids never contain ':', so keys split cleanly. */
async function knownOrgs(ctx: CommandContext): Promise<{ ns: string; orgId: string }[]> {
  const seen = new Map<string, { ns: string; orgId: string }>();
  for (const key of await ctx.storage.list(ANCHORS_PREFIX)) {
    const parts = key.slice(ANCHORS_PREFIX.length).split(':');
    // `fed:anchors:<ns>:<org>` has two parts; `fed:anchors:__state__:<ns>:<org>` three.
    const pair = key.startsWith(STATE_PREFIX) && parts.length === 3 ? parts.slice(1) : parts.length === 2 ? parts : undefined;
    if (pair) seen.set(pair.join(':'), { ns: pair[0]!, orgId: pair[1]! });
  }
  return [...seen.values()].sort((a, b) => (a.ns + ':' + a.orgId < b.ns + ':' + b.orgId ? -1 : 1));
}

export const inspect: Command = {
  name: 'inspect',
  summary: 'show organisations with their sync state and anchors, local signers and pinned keys',
  usage: ['inspect [--ns NS [--org ORG]] [--json]'],
  options: {
    ns: { type: 'string', arg: 'NS', description: 'only this namespace' },
    org: { type: 'string', arg: 'ORG', description: 'only this organisation' },
  },
  maxArgs: 0,
  async run(ctx) {
    const ns = optionalId(ctx.values, 'ns');
    const orgId = optionalId(ctx.values, 'org');
    if (orgId !== undefined && ns === undefined) throw usage('--org needs --ns');
    const now = Date.now();
    const orgs: OrgView[] = [];
    for (const ref of await knownOrgs(ctx)) {
      if ((ns !== undefined && ref.ns !== ns) || (orgId !== undefined && ref.orgId !== orgId)) continue;
      const state = (await getSyncState(ctx.storage, ref.ns, ref.orgId)) ?? null;
      const expires = state ? parseTimestamp(state.expiresAt) : undefined;
      orgs.push({
        ...ref,
        local: await isLocalOrg(ctx.storage, ref.ns, ref.orgId),
        state,
        stale: expires !== undefined && now >= expires,
        anchors: await getAnchors(ctx.storage, ref.ns, ref.orgId),
      });
    }
    const signers = await listSigners(ctx.storage);
    const trust = await listTrustAnchors(ctx.storage, ns, orgId);
    ctx.out.result({ orgs, signers, trust });

    if (orgs.length === 0) ctx.out.line('no organisations synced or published yet');
    for (const o of orgs) {
      const s = o.state;
      const head = s ? `seq ${s.seq}, expires ${s.expiresAt}${o.stale ? ' (STALE)' : ''}, last sync ${s.lastSyncAt}` : 'no sync state';
      ctx.out.line(`${o.ns}/${o.orgId}${o.local ? ' (local)' : ''}: ${head}${s?.nextSyncAt ? `, next ${s.nextSyncAt}` : ''}`);
      if (o.anchors.length > 0) {
        const rows = o.anchors.map((a) => ['  ' + a.kid, a.status, a.pubB64u, a.updatedAt]);
        ctx.out.line(table([['  KID', 'STATUS', 'PUBB64U', 'UPDATED'], ...rows]));
      }
    }
    if (orgId === undefined && ns === undefined) {
      ctx.out.line('');
      ctx.out.line(signers.length === 0 ? 'local signers: none' : 'local signers:\n' + signerTable(signers));
    }
    ctx.out.line('');
    ctx.out.line(
      trust.length === 0
        ? 'pinned keys: none'
        : 'pinned keys:\n' + table([['NS', 'ORG', 'KID', 'PUBB64U'], ...trust.map((t) => [t.ns, t.orgId, t.kid, t.pubB64u])]),
    );
    return 0;
  },
};
