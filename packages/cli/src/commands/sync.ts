/**
 * `sync --from URL --ns NS --org ORG...`: pull peers' packs over HTTP and
 * apply them through every acceptance rule (core `runAnchorSync`), then
 * print one row per peer. Exit 1 when any peer was rejected.
 */
import { getSyncState, planAnchorSync, runAnchorSync, type SyncResult } from '@anchorsync/core';
import { fetchTransport } from '@anchorsync/transport-fetch/client';
import { usage } from '../cli-error.ts';
import type { Command } from '../command.ts';
import { readPolicyFile } from '../files.ts';
import { table } from '../output.ts';
import { flag, httpUrl, id, optionalString, requireId, strings } from '../values.ts';

export const sync: Command = {
  name: 'sync',
  summary: "pull peers' packs from a publisher or relay and apply them",
  usage: ['sync --from URL --ns NS --org ORG [--org ORG2 ...] [--force] [--policy FILE] [--json]'],
  options: {
    from: { type: 'string', arg: 'URL', description: 'base URL of the publisher or relay (as printed by `serve`)' },
    ns: { type: 'string', arg: 'NS', description: 'namespace' },
    org: { type: 'string', multiple: true, arg: 'ORG', description: 'peer organisation to sync; repeat for more' },
    force: { type: 'boolean', description: "pull now even when the publisher's refresh hint says later" },
    policy: { type: 'string', arg: 'FILE', description: 'cross-org policy JSON (rotation, threshold, allowlists, caps)' },
  },
  maxArgs: 0,
  notes: ['Pin a key for each peer first (`trust pin`): packs no pinned key signed are rejected.'],
  async run(ctx) {
    const from = httpUrl(ctx.values, 'from');
    if (from === undefined) throw usage('--from is required');
    const ns = requireId(ctx.values, 'ns');
    const orgs = strings(ctx.values, 'org').map((o) => id(o, 'org'));
    if (orgs.length === 0) throw usage('--org is required');
    const policy = await readPolicyFile(optionalString(ctx.values, 'policy'));
    const force = flag(ctx.values, 'force');

    const peers = orgs.map((orgId) => ({ ns, orgId }));
    const plan = await planAnchorSync(ctx.storage, peers, { ...(policy ? { policy } : {}), ...(force ? { force: true } : {}) });
    const results = await runAnchorSync({ storage: ctx.storage, transport: fetchTransport({ baseUrl: from }), plan, ...(policy ? { policy } : {}) });
    const byOrg = new Map<string, SyncResult>(results.map((r) => [r.orgId, r]));

    const rows: string[][] = [['ORG', 'SEQ', 'ADDED', 'UPDATED', 'RETIRED', 'REVOKED', 'UNCHANGED', 'RESULT']];
    const report: unknown[] = [];
    let rejected = 0;
    for (const p of plan.peers) {
      const r = byOrg.get(p.orgId);
      if (!r) {
        // Not pulled: the publisher asked us to wait (use --force), or the policy forbids it.
        const next = (await getSyncState(ctx.storage, p.ns, p.orgId))?.nextSyncAt;
        report.push({ ns: p.ns, orgId: p.orgId, ok: true, skipped: p.reason, fromSeq: p.since, toSeq: p.since, ...(next ? { nextSyncAt: next } : {}) });
        const why = p.reason === 'policy' ? 'skipped (policy)' : `not due until ${next ?? '?'} (--force pulls now)`;
        rows.push([p.orgId, `${p.since}->${p.since}`, '-', '-', '-', '-', '-', why]);
        continue;
      }
      report.push(r);
      const seq = `${r.fromSeq}->${r.toSeq}`;
      if (r.ok) {
        rows.push([r.orgId, seq, String(r.added), String(r.updated), String(r.retired), String(r.revoked), String(r.unchanged), warningsOf(r)]);
      } else {
        rejected++;
        rows.push([r.orgId, seq, '-', '-', '-', '-', '-', r.rejected?.code ?? 'ERR_INTERNAL']);
      }
    }
    ctx.out.result(report);
    ctx.out.line(table(rows));
    for (const r of results) if (!r.ok && r.rejected) ctx.out.error(r.rejected.code, `${r.ns}/${r.orgId}: ${r.rejected.message}`);
    return rejected > 0 ? 1 : 0;
  },
};

function warningsOf(r: SyncResult): string {
  return r.warnings.length === 0 ? 'ok' : `ok (${r.warnings.join(', ')})`;
}
