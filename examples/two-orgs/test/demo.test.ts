import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo.ts';

describe('two-organisation demo', () => {
  it('shows the rotation, the revocation, a zero-byte re-sync and both attacks rejected', async () => {
    const lines: string[] = [];
    const report = await runDemo((line) => lines.push(line));
    const out = lines.join('\n');

    expect(report.rejections).toEqual(['ERR_PACK_ROLLBACK', 'ERR_PACK_SIGNATURE']);
    expect(out).toMatch(/replayed pack #1: rejected with ERR_PACK_ROLLBACK/);
    expect(out).toMatch(/tampered pack #2 .*: rejected with ERR_PACK_SIGNATURE/);
    // Rotation and revocation as B sees them after the delta sync.
    expect(out).toMatch(/a-chat-2026q3\s+RETIRED/);
    expect(out).toMatch(/a-chat-2026q4\s+ACTIVE/);
    expect(out).toMatch(/a-files-2026\s+REVOKED/);
    expect(out).toMatch(/org-a\.example\s+1 -> 2\s+1\s+1\s+1\s+0/);
    // First sync carries the pack, the delta carries bytes, the no-change sync carries none.
    expect(report.bytesBySync).toHaveLength(3);
    expect(report.bytesBySync[0]).toBeGreaterThan(0);
    expect(report.bytesBySync[1]).toBeGreaterThan(0);
    expect(report.bytesBySync[2]).toBe(0);
    expect(out).toMatch(/a-chat-2026q4\s+VALID/);
    expect(out).toMatch(/a-files-2026\s+refused: REVOKED/);
    expect(report.audit.filter((e) => e.type === 'FED_ANCHOR_SYNC_REJECT').map((e) => 'code' in e && e.code)).toEqual([
      'ERR_PACK_ROLLBACK',
      'ERR_PACK_SIGNATURE',
    ]);
  });

  it('`pnpm demo` runs it as a process that exits 0 by itself', () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/two-orgs/src/main.ts'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('Org B audit trail');
  });
});
