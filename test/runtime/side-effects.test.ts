// STYLE.md "No import-time effects": every package says "sideEffects": false,
// and this proves it true. The bundler is told NOT to trust that flag for our
// own source files (only third-party ones keep theirs), so it must analyse
// every top-level statement we wrote; a bundle that imports an entry and uses
// nothing must still come out empty. Any top-level call, global write or
// eager setup in our module graph would survive and fail this test.
import { build, type Plugin } from 'esbuild';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const entries = [
  '@anchorsync/core',
  '@anchorsync/core/verify',
  '@anchorsync/storage-memory',
  '@anchorsync/storage-idb',
  '@anchorsync/storage-encrypted',
  '@anchorsync/storage-encrypted/keys',
  '@anchorsync/transport-postmessage/client',
  '@anchorsync/transport-postmessage/reads',
  '@anchorsync/transport-postmessage/responder',
  '@anchorsync/transport-postmessage/ops',
  '@anchorsync/transport-postmessage/tabs',
  '@anchorsync/transport-postmessage/protocol',
  '@anchorsync/transport-fetch/client',
  '@anchorsync/transport-fetch/server',
  '@anchorsync/transport-fetch/protocol',
  '@anchorsync/storage-cloudflare-kv',
];

const OWN_SOURCE = /\/packages\/[^/]+\/src\//;

const distrustOwnSideEffectsFlag: Plugin = {
  name: 'distrust-own-side-effects-flag',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'inner') return undefined;
      const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'inner' });
      if (resolved.errors.length > 0 || !OWN_SOURCE.test(resolved.path)) return undefined;
      return { path: resolved.path, sideEffects: true };
    });
  },
};

async function bundle(source: string): Promise<string> {
  const result = await build({
    stdin: { contents: source, resolveDir: new URL('.', import.meta.url).pathname, loader: 'ts' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    minify: true,
    logLevel: 'silent',
    plugins: [distrustOwnSideEffectsFlag],
  });
  return result.outputFiles[0]!.text;
}

describe('"sideEffects": false is true', () => {
  for (const entry of entries) {
    it(`importing ${entry} without using it bundles to nothing`, async () => {
      expect((await bundle(`import ${JSON.stringify(entry)};`)).trim()).toBe('');
    });
  }

  it('the check can fail: a top-level effect in a package source file survives', async () => {
    const root = mkdtempSync(join(tmpdir(), 'anchorsync-probe-'));
    mkdirSync(join(root, 'packages/probe/src'), { recursive: true });
    writeFileSync(join(root, 'packages/probe/package.json'), JSON.stringify({ name: 'probe', sideEffects: false }));
    const file = join(root, 'packages/probe/src/index.ts');
    // The kind of slip this test exists for: a top-level read of an imported object.
    writeFileSync(join(root, 'packages/probe/src/keys.ts'), 'export const keys = { prefix: "p:" };\n');
    writeFileSync(file, 'import { keys } from "./keys.ts";\nconst PREFIX = keys.prefix;\nexport const list = () => PREFIX;\n');
    try {
      expect(await bundle(`import ${JSON.stringify(file)};`)).toContain('"p:"');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('using one export keeps only what it needs', async () => {
    const out = await bundle(`import { bytesToB64u } from '@anchorsync/core'; console.log(bytesToB64u(new Uint8Array([1])));`);
    expect(out).not.toContain('canonicalize');
    expect(out.length).toBeLessThan(2000);
  });

  it('every package declares "sideEffects": false', () => {
    for (const name of ['core', 'storage-memory', 'storage-idb', 'storage-encrypted', 'transport-postmessage', 'storage-cloudflare-kv']) {
      const pkg = JSON.parse(readFileSync(new URL(`../../packages/${name}/package.json`, import.meta.url), 'utf8')) as { sideEffects?: unknown };
      expect(pkg.sideEffects, name).toBe(false);
    }
  });
});
