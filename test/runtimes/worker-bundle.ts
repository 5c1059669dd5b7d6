/**
 * Bundles a module Worker for workerd the way Wrangler would (ESM, the
 * workerd/worker/browser export conditions) and refuses a bundle that pulls
 * in a Node built-in: the SDK must run without nodejs_compat.
 */
import { build } from 'esbuild';

export async function bundleWorker(entry: string): Promise<string> {
  const bundle = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    target: 'es2022',
  });
  const script = bundle.outputFiles[0]!.text;
  if (/from ["']node:/.test(script)) throw new Error(`the Worker bundle of ${entry} imports a Node built-in`);
  return script;
}
