/**
 * An application bundles only the parts it imports: each op of `./ops` and
 * each read of `./reads` is its own function, so a worker serving sync does
 * not carry `verify`, and a page asking for verdicts does not carry the
 * peer listing. Bundled here as an application would (esbuild, minified,
 * core left out), and checked by strings only that part contains.
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url).pathname;

async function bundle(source: string): Promise<string> {
  const result = await build({
    stdin: { contents: source, resolveDir: SRC, loader: 'ts' },
    bundle: true,
    write: false,
    format: 'esm',
    minify: true,
    logLevel: 'silent',
    external: ['@anchorsync/core'],
  });
  return result.outputFiles[0]!.text;
}

/** A string each part holds, and no other does: a member its check names, an op it asks, or a schema it checks. */
const MARKS = {
  pullOp: 'sinceHash',
  pushOp: 'keepPack',
  verifyOp: 'messageB64u',
  peersOp: '__state__',
  verifyMessage: 'ok reason anchor',
  listPeers: 'peers truncated',
  getPeerSyncState: '"sync-state"',
};

describe('an application bundles only the ops and reads it imports', () => {
  it('a worker serving pull carries no other op', async () => {
    const code = await bundle(`export { servePostMessage } from './responder.ts'; export { pullOp } from './ops.ts';`);
    expect(code).toContain(MARKS.pullOp);
    for (const other of [MARKS.pushOp, MARKS.verifyOp, MARKS.peersOp]) expect(code).not.toContain(other);
  });

  it('a key manager serving verify carries neither pull, push nor the peer listing', async () => {
    const code = await bundle(`export { servePostMessage } from './responder.ts'; export { verifyOp } from './ops.ts';`);
    expect(code).toContain(MARKS.verifyOp);
    for (const other of [MARKS.pullOp, MARKS.pushOp, MARKS.peersOp]) expect(code).not.toContain(other);
  });

  it('a page asking for verdicts carries no other read, and the bare client carries none', async () => {
    const page = await bundle(`export { postMessageTransport } from './client.ts'; export { verifyMessage } from './reads.ts';`);
    expect(page).toContain(MARKS.verifyMessage);
    for (const other of [MARKS.listPeers, MARKS.getPeerSyncState]) expect(page).not.toContain(other);
    const client = await bundle(`export { postMessageTransport } from './client.ts';`);
    for (const read of [MARKS.verifyMessage, MARKS.listPeers, MARKS.getPeerSyncState]) expect(client).not.toContain(read);
  });
});
