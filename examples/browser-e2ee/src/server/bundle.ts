/**
 * Builds the two pages' scripts with esbuild, in memory (`bundleBrowserCode`)
 * for the dev server and the tests, or to `dist/` through build.ts.
 */
import { build, type BuildOptions } from 'esbuild';

const entryPoints = {
  app: new URL('../browser/app.ts', import.meta.url).pathname,
  'key-manager': new URL('../browser/key-manager.ts', import.meta.url).pathname,
};

export const BUILD_OPTIONS: BuildOptions = {
  entryPoints,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  logLevel: 'silent',
};

/** `/app.js` and `/key-manager.js`, as text. */
export async function bundleBrowserCode(): Promise<Map<string, string>> {
  const out = await build({ ...BUILD_OPTIONS, write: false, outdir: '/out' });
  return new Map(out.outputFiles.map((f) => [f.path.slice('/out'.length), f.text]));
}
