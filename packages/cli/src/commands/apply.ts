/**
 * `apply <pack.json>`: apply a pack file received out of band through every
 * acceptance rule, as a sync would. A rejected pack changes nothing.
 */
import { applyAnchorPack, validatePack, isAnchorSyncError, type EngineContext } from '@anchorsync/core';
import { usage } from '../cli-error.ts';
import type { Command } from '../command.ts';
import { readPackFile, readPolicyFile } from '../files.ts';
import { isLocalOrg } from '../local-org.ts';
import { flag, optionalId, optionalString } from '../values.ts';

export const apply: Command = {
  name: 'apply',
  summary: 'apply a pack file through all acceptance rules (as a sync would)',
  usage: ['apply <pack.json> [--ns NS] [--org ORG] [--keep] [--policy FILE] [--json]'],
  options: {
    ns: { type: 'string', arg: 'NS', description: 'require the pack to be of this namespace' },
    org: { type: 'string', arg: 'ORG', description: 'require the pack to be of this organisation' },
    keep: { type: 'boolean', description: 'also keep the pack in the pack log, so `serve` serves it on (relay)' },
    policy: { type: 'string', arg: 'FILE', description: 'cross-org policy JSON (rotation, threshold, allowlists, caps)' },
  },
  maxArgs: 1,
  async run(ctx) {
    const file = ctx.args[0];
    if (file === undefined) throw usage('apply needs a <pack.json>');
    const wantNs = optionalId(ctx.values, 'ns');
    const wantOrg = optionalId(ctx.values, 'org');
    const policy = await readPolicyFile(optionalString(ctx.values, 'policy'));
    try {
      const value = await readPackFile(file);
      const { ns, orgId } = validatePack(value);
      const engine: EngineContext = { storage: ctx.storage, ...(policy ? { policy } : {}) };
      if (await isLocalOrg(ctx.storage, ns, orgId)) engine.localOrgId = orgId;
      const outcome = await applyAnchorPack(engine, value, {
        expect: { ns: wantNs ?? ns, orgId: wantOrg ?? orgId },
        ...(flag(ctx.values, 'keep') ? { keepPack: true } : {}),
      });
      ctx.out.result({ ok: true, ...outcome });
      const c = outcome.counts;
      ctx.out.line(
        `${outcome.status} ${ns}/${orgId} #${outcome.seq}: added ${c.added}, updated ${c.updated}, retired ${c.retired}, revoked ${c.revoked}, unchanged ${c.unchanged}`,
      );
      for (const w of outcome.warnings) ctx.out.line(`warning: ${w}`);
      return 0;
    } catch (e) {
      if (!isAnchorSyncError(e) || !(e.code.startsWith('ERR_PACK_') || e.code.startsWith('ERR_POLICY_'))) throw e;
      ctx.out.result({ ok: false, code: e.code, message: e.message });
      ctx.out.error(e.code, e.message);
      return 1;
    }
  },
};
