/**
 * `pnpm build`: the two sites as static files for any host.
 *
 *   dist/app/          index.html, app.css, app.js       + your app-config.json, inbox
 *   dist/key-manager/  key-manager.html, key-manager.js  + your key-manager.json
 *
 * Serve each with the headers from pages.ts (`appHeaders`,
 * `keyManagerHeaders`): the Content-Security-Policy is what keeps the key
 * manager framed only by the app.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';
import { BUILD_OPTIONS } from './bundle.ts';
import { APP_CSS, APP_HTML, KEY_MANAGER_HTML } from './pages.ts';

const dist = new URL('../../dist/', import.meta.url);
const out = await build({ ...BUILD_OPTIONS, write: false, outdir: '/out', minify: true });
const file = (name: string) => out.outputFiles.find((f) => f.path === `/out/${name}`)?.text ?? '';
const write = async (dir: string, name: string, text: string) => {
  await mkdir(new URL(dir, dist), { recursive: true });
  await writeFile(new URL(`${dir}${name}`, dist), text);
};
await write('app/', 'index.html', APP_HTML);
await write('app/', 'app.css', APP_CSS);
await write('app/', 'app.js', file('app.js'));
await write('key-manager/', 'key-manager.html', KEY_MANAGER_HTML);
await write('key-manager/', 'key-manager.js', file('key-manager.js'));
console.log(`built ${new URL('.', dist).pathname}`);
