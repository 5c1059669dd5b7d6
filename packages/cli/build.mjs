// Bundles src/bin.ts (with core and transport-fetch) into one file,
// dist/anchorsync.mjs, for Node 20+ (and Deno and Bun through their Node
// compatibility). The output is written to a temp file and renamed, so a
// reader (or a concurrent build) never sees half a file.
import { build } from 'esbuild';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outfile = join(here, 'dist', 'anchorsync.mjs');

const result = await build({
  entryPoints: [join(here, 'src', 'bin.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
  outfile,
  write: false,
  legalComments: 'none',
  logLevel: 'warning',
});

await mkdir(dirname(outfile), { recursive: true });
const temp = `${outfile}.${process.pid}.tmp`;
await writeFile(temp, result.outputFiles[0].contents);
await chmod(temp, 0o755);
await rename(temp, outfile);
console.log(`built ${outfile} (${result.outputFiles[0].contents.length} bytes)`);
