/**
 * `"sideEffects": false` is true for @anchorsync/crypto-platform: importing
 * either entry and using nothing bundles to nothing, with the package's own
 * flag distrusted (esbuild must analyse every top-level statement), and
 * nothing is detected or hashed until a factory is called.
 */
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

const distrustOwnFlag: Plugin = {
  name: 'distrust-own-side-effects-flag',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'inner') return undefined;
      const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'inner' });
      if (resolved.errors.length > 0 || !/\/packages\/[^/]+\/src\//.test(resolved.path)) return undefined;
      return { path: resolved.path, sideEffects: true };
    });
  },
};

async function bundle(entry: string, platform: 'node' | 'browser'): Promise<string> {
  const result = await build({
    stdin: { contents: `import ${JSON.stringify(entry)};`, resolveDir: new URL('.', import.meta.url).pathname, loader: 'ts' },
    bundle: true,
    write: false,
    format: 'esm',
    platform,
    minify: true,
    logLevel: 'silent',
    plugins: [distrustOwnFlag],
  });
  return result.outputFiles[0]!.text.trim();
}

describe('crypto-platform has no import-time effects', () => {
  it('the browser entry bundles to nothing', async () => {
    expect(await bundle('../src/web.ts', 'browser')).toBe('');
  });

  it('the node entry bundles to nothing (node:crypto is only named, not called)', async () => {
    expect((await bundle('../src/node.ts', 'node')).replace(/import"node:crypto";?/, '')).toBe('');
  });

  it('the check can fail: a top-level call survives', async () => {
    const out = await build({
      stdin: { contents: 'import { getHashes } from "node:crypto"; export const n = getHashes().length;', loader: 'ts', resolveDir: '.' },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      minify: true,
      logLevel: 'silent',
    });
    expect(out.outputFiles[0]!.text).toContain('getHashes');
  });
});
