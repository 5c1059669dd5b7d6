/**
 * `verify <pack.json>`: would this pack's signatures be accepted here? It
 * checks shape, signatures (pinned keys, the local signers for the local
 * org, and the ACTIVE anchors accepted from the org's last pack: rotation)
 * and expiry, and stores nothing.
 */
import { getSyncState, packHash, parseTimestamp, trustedKeysFor, validatePack, verifyAnchorPack, AnchorSyncError, isAnchorSyncError } from '@anchorsync/core';
import { usage } from '../cli-error.ts';
import type { Command } from '../command.ts';
import { readPackFile, readPolicyFile } from '../files.ts';
import { isLocalOrg } from '../local-org.ts';
import { optionalId, optionalString } from '../values.ts';

export const verify: Command = {
  name: 'verify',
  summary: "check a pack file's signatures against this store's trusted keys, storing nothing",
  usage: ['verify <pack.json> [--ns NS] [--org ORG] [--policy FILE] [--json]'],
  options: {
    ns: { type: 'string', arg: 'NS', description: 'require the pack to be of this namespace' },
    org: { type: 'string', arg: 'ORG', description: 'require the pack to be of this organisation' },
    policy: { type: 'string', arg: 'FILE', description: 'cross-org policy JSON (its threshold applies)' },
  },
  maxArgs: 1,
  notes: [
    'Trusted: keys pinned for the org, local signers when it is the org this store publishes, and',
    "the ACTIVE anchors accepted from the org's last pack (rotation). Exit 1 when the pack is not valid.",
  ],
  async run(ctx) {
    const file = ctx.args[0];
    if (file === undefined) throw usage('verify needs a <pack.json>');
    const wantNs = optionalId(ctx.values, 'ns');
    const wantOrg = optionalId(ctx.values, 'org');
    const policy = await readPolicyFile(optionalString(ctx.values, 'policy'));
    try {
      const value = await readPackFile(file);
      const shaped = validatePack(value);
      if ((wantNs !== undefined && shaped.ns !== wantNs) || (wantOrg !== undefined && shaped.orgId !== wantOrg)) {
        throw new AnchorSyncError('ERR_PACK_SCHEMA', `pack is for ${shaped.ns}/${shaped.orgId}, expected ${wantNs ?? shaped.ns}/${wantOrg ?? shaped.orgId}`);
      }
      const { ns, orgId } = shaped;
      const local = await isLocalOrg(ctx.storage, ns, orgId);
      const trusted = await trustedKeysFor(ctx.storage, ns, orgId, { ...(local ? { localOrgId: orgId } : {}), allowRotation: true });
      const threshold = policy?.threshold;
      const { pack, signedBy } = verifyAnchorPack(shaped, { trusted, ...(threshold === undefined ? {} : { threshold }) });
      // Rule 3: an expired pack is refused however well it is signed (freeze attack).
      if (parseTimestamp(pack.expiresAt)! <= Date.now()) {
        throw new AnchorSyncError('ERR_PACK_EXPIRED', `pack ${orgId}#${pack.seq} expired at ${pack.expiresAt}`);
      }
      const signers = signedBy.map((pub) => {
        const key = trusted.find((t) => t.pubB64u === pub)!;
        return { kid: key.kid, pubB64u: pub, source: key.source };
      });
      const state = await getSyncState(ctx.storage, ns, orgId);
      const acceptedSeq = state?.seq ?? 0;
      ctx.out.result({ ok: true, ns, orgId, seq: pack.seq, hash: packHash(pack), expiresAt: pack.expiresAt, signedBy: signers, acceptedSeq });
      ctx.out.line(`ok ${ns}/${orgId} #${pack.seq}, signed by ${signers.map((s) => `${s.kid} (${s.source})`).join(', ')}`);
      if (pack.seq <= acceptedSeq) ctx.out.line(`note: this store has accepted #${acceptedSeq} of ${orgId} already`);
      return 0;
    } catch (e) {
      if (!isAnchorSyncError(e) || !e.code.startsWith('ERR_PACK_')) throw e;
      ctx.out.result({ ok: false, code: e.code, message: e.message });
      ctx.out.error(e.code, e.message);
      return 1;
    }
  },
};
