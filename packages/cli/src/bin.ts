/**
 * The `anchorsync` executable. Run from source with
 * `node --import tsx packages/cli/src/bin.ts`, or build
 * `dist/anchorsync.mjs` with `node build.mjs`.
 */
import { main } from './main.ts';

// A reader that went away (`anchorsync inspect | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await main(process.argv.slice(2));
