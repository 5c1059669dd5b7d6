/**
 * Size report: what each public entry point costs an application, bundled
 * the way an application would bundle it (esbuild, ESM, minified, tree-
 * shaken), in raw, gzip (level 9) and brotli (quality 11) bytes, and the
 * budget those numbers must meet. `pnpm size` prints the table; the test
 * command checks the budget (test/size/budget.test.ts).
 *
 * Entries are found, not listed: every export of every public package
 * under packages/ (`export * from '<entry>'`), plus two application-shaped
 * entries of core: the full sync engine, and the verify-only entry.
 *
 * "On top of core" for an adapter (storage-*, transport-*, crypto-*) is
 * measured as a difference: gzip(engine + adapter) - gzip(engine), where
 * "engine" is the full sync engine bundle. That is what adding the adapter
 * to an application that already syncs costs: core code the adapter shares
 * with the engine is counted once, core code only the adapter needs is
 * charged to the adapter, and its own dependencies (idb-keyval) are
 * charged to it too. The standalone size with core marked external is
 * printed beside it for reference.
 *
 *   node --import tsx bench/size.ts [--json]
 */
import { build, type BuildOptions } from 'esbuild';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** 1 KB = 1,000 bytes, as the budget figures in the issue are written (7,663 B was "about 7.7 KB"). */
export const KB = 1000;

/** The budgets, gzip bytes. */
export const BUDGETS = {
  verify: 8 * KB,
  engine: 12 * KB,
  adapterOnTopOfCore: 2 * KB,
} as const;

/**
 * Entries measured over their budget, each with the reason and a ceiling
 * about 5% above its size on 2026-11-25 (other work on them is under way). A waived entry may not grow past its ceiling
 * (the test fails), and the table still prints it as OVER: a waiver records
 * a debt, it does not move the budget. Delete a line once the entry fits.
 */
export const WAIVERS: Readonly<Record<string, { ceiling: number; reason: string }>> = {
  'core: sync engine': {
    ceiling: 22_000,
    reason: 'the libraries alone are 7.88 KB of the 12 KB; validators, policy, high-water marks, apply intents, paging, lookup and publishing are 13 KB more',
  },
  '@anchorsync/core/verify': {
    ceiling: 12_000,
    reason:
      'the libraries alone (noble-ed25519 verify + @noble/hashes SHA-512 and SHA-256, the first "reference" row) are 7.88 KB; validation, base64url and errors add 3.6 KB. SHA-256 costs 0.98 KB (6.90 KB without it) and halves the pure-JS verify time; a trust library keeps the audited hashes',
  },
};

/** The sync engine an application imports: run, apply, publish, plan, pin, keys, lookup. */
export const ENGINE_SOURCE = `export {
  runAnchorSync, planAnchorSync, applyAnchorPack, publishAnchorPack, pushAnchorPack, servePackPage,
  pinTrustAnchor, addSigner, retireSigner, revokeSigner, getAnchors, getSyncState, resolvePeerKey, verifyPeerMessage,
} from ${JSON.stringify(join(ROOT, 'packages/core/src/index.ts'))};`;

/**
 * What the cryptography alone costs, for scale: no SDK code, no budget.
 * The first is what every verifier of our packs must carry; the second is
 * the bundle the performance issue quotes as its minimal baseline (7.7 KB).
 */
export const REFERENCES: readonly [entry: string, source: string][] = [
  [
    'reference: noble-ed25519 verify + SHA-256 + SHA-512',
    `import { hashes, verify } from '@noble/ed25519'; import { sha256, sha512 } from '@noble/hashes/sha2.js';
     export function check(s, m, p) { hashes.sha512 = sha512; return verify(s, sha256(m), p, { zip215: false }); }`,
  ],
  [
    'reference: noble-ed25519 verify + SHA-512 + canonicalize',
    `import { hashes, verify } from '@noble/ed25519'; import { sha512 } from '@noble/hashes/sha2.js'; import canonicalize from 'canonicalize';
     export function check(s, v, p) { hashes.sha512 = sha512; return verify(s, new TextEncoder().encode(canonicalize(v)), p, { zip215: false }); }`,
  ],
];

export interface SizeRow {
  /** What was bundled, e.g. `@anchorsync/core/verify`. */
  entry: string;
  kind: 'entry' | 'engine' | 'verify' | 'adapter' | 'reference';
  min: number;
  gzip: number;
  brotli: number;
  /** Adapters: gzip(engine + adapter) - gzip(engine). */
  onTopOfCore?: number;
  /** Adapters: gzip of the adapter alone with core external. */
  standalone?: number;
  /** Budget in gzip bytes for the figure that is checked, if any. */
  budget?: number;
  /** The figure the budget applies to. */
  checked?: number;
  /** Over budget with a recorded waiver: may not exceed this. */
  ceiling?: number;
}

export interface Bundled {
  min: number;
  gzip: number;
  brotli: number;
}

/** Node-only entries (they import node: built-ins) are bundled for Node; everything else for browsers. */
function platformFor(entry: string): 'browser' | 'node' {
  return /\/node$/.test(entry) ? 'node' : 'browser';
}

/** Bundles `source` (an ES module importing our packages) as an application would, and measures it. */
export async function bundleSize(source: string, options: { platform?: 'browser' | 'node'; external?: string[]; resolveDir?: string } = {}): Promise<Bundled> {
  const config: BuildOptions = {
    stdin: { contents: source, resolveDir: options.resolveDir ?? ROOT, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: options.platform ?? 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
    external: options.external ?? [],
  };
  const result = await build(config);
  const bytes = result.outputFiles![0]!.contents;
  return {
    min: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

export interface Entry {
  /** The specifier an application imports, e.g. `@anchorsync/core/verify`. */
  entry: string;
  pkg: string;
  /** The module it resolves to (exports `default` condition). */
  file: string;
}

type ExportTarget = string | { default?: ExportTarget; import?: ExportTarget; browser?: ExportTarget; [condition: string]: ExportTarget | undefined };

/** The browser/default file of an exports target. */
function targetFile(target: ExportTarget | undefined): string | undefined {
  if (typeof target === 'string' || target === undefined) return target;
  return targetFile(target.browser ?? target.import ?? target.default);
}

/**
 * Every export of every public library package under packages/ (not
 * `./package.json`; not command-line packages, which declare `bin`).
 */
export function publicEntries(root = ROOT): Entry[] {
  const dir = join(root, 'packages');
  const out: Entry[] = [];
  for (const name of readdirSync(dir).sort()) {
    let manifest: { name?: string; private?: boolean; bin?: unknown; exports?: Record<string, ExportTarget> };
    try {
      manifest = JSON.parse(readFileSync(join(dir, name, 'package.json'), 'utf8')) as typeof manifest;
    } catch {
      continue;
    }
    if (!manifest.name || manifest.private || manifest.bin !== undefined || !manifest.exports) continue;
    for (const [sub, target] of Object.entries(manifest.exports)) {
      const file = targetFile(target);
      if (sub === './package.json' || file === undefined) continue;
      out.push({ entry: sub === '.' ? manifest.name : `${manifest.name}/${sub.slice(2)}`, pkg: manifest.name, file: join(dir, name, file) });
    }
  }
  return out;
}

const isAdapter = (pkg: string): boolean => /^@anchorsync\/(storage|transport|crypto)-/.test(pkg);

/** Measures every entry and applies the budgets. */
export async function measureAll(root = ROOT): Promise<SizeRow[]> {
  const rows: SizeRow[] = [];
  const engine = await bundleSize(ENGINE_SOURCE);
  rows.push({ entry: 'core: sync engine', kind: 'engine', ...engine, budget: BUDGETS.engine, checked: engine.gzip });
  for (const { entry, pkg, file } of publicEntries(root)) {
    const platform = platformFor(entry);
    // By file, so packages need not be dependencies of the root; their own imports resolve from their folders.
    const source = `export * from ${JSON.stringify(file)};`;
    const own = await bundleSize(source, { platform });
    if (entry === '@anchorsync/core/verify') {
      rows.push({ entry, kind: 'verify', ...own, budget: BUDGETS.verify, checked: own.gzip });
    } else if (isAdapter(pkg)) {
      const together = await bundleSize(`${ENGINE_SOURCE}\n${source}`, { platform });
      const base = platform === 'browser' ? engine : await bundleSize(ENGINE_SOURCE, { platform });
      const standalone = await bundleSize(source, { platform, external: ['@anchorsync/core', '@anchorsync/core/*'] });
      const onTopOfCore = together.gzip - base.gzip;
      rows.push({ entry, kind: 'adapter', ...own, onTopOfCore, standalone: standalone.gzip, budget: BUDGETS.adapterOnTopOfCore, checked: onTopOfCore });
    } else {
      rows.push({ entry, kind: 'entry', ...own });
    }
  }
  // Resolved from core's folder, where the libraries are dependencies.
  for (const [entry, source] of REFERENCES) rows.push({ entry, kind: 'reference', ...(await bundleSize(source, { resolveDir: join(root, 'packages/core') })) });
  return applyWaivers(rows);
}

/** Attaches the waiver ceilings to rows that are over budget. */
export function applyWaivers(rows: SizeRow[], waivers: typeof WAIVERS = WAIVERS): SizeRow[] {
  for (const row of rows) {
    const waiver = waivers[row.entry];
    if (waiver && row.budget !== undefined && row.checked !== undefined && row.checked > row.budget) row.ceiling = waiver.ceiling;
  }
  return rows;
}

/** Rows over their budget and not within a waiver, as readable lines (empty when every budget holds). */
export function budgetViolations(rows: readonly SizeRow[]): string[] {
  return rows
    .filter((r) => r.budget !== undefined && r.checked !== undefined && r.checked > r.budget && !(r.ceiling !== undefined && r.checked <= r.ceiling))
    .map((r) => `${r.entry}: ${r.checked} B gzip${r.kind === 'adapter' ? ' on top of core' : ''} > budget ${r.budget} B${r.ceiling === undefined ? '' : ` and waiver ceiling ${r.ceiling} B`}`);
}

const kb = (n: number | undefined): string => (n === undefined ? '' : (n / KB).toFixed(2));

/** The table `pnpm size` prints. */
export function formatTable(rows: readonly SizeRow[]): string {
  const head = ['entry', 'min KB', 'gzip KB', 'brotli KB', '+core gz KB', 'alone gz KB', 'budget KB', ''];
  const body = rows.map((r) => [
    r.entry,
    kb(r.min),
    kb(r.gzip),
    kb(r.brotli),
    kb(r.onTopOfCore),
    kb(r.standalone),
    r.budget === undefined ? '' : `${r.kind === 'adapter' ? '+' : ''}${kb(r.budget)}`,
    r.budget === undefined ? '' : r.checked! <= r.budget ? 'ok' : r.ceiling !== undefined && r.checked! <= r.ceiling ? 'OVER (waived)' : 'OVER',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const rows = await measureAll();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(rows, null, 2));
  } else {
    console.log('Bundle size of every public entry (esbuild 0.28, ESM, minified, browser; node-only entries for node).');
    console.log('KB = 1,000 bytes. "+core gz": gzip(sync engine + adapter) - gzip(sync engine); "alone gz": the adapter with core external.\n');
    console.log(formatTable(rows));
    const waived = rows.filter((r) => r.ceiling !== undefined);
    if (waived.length > 0) {
      console.log(`\nwaived (over budget, may not grow past the ceiling):`);
      for (const r of waived) console.log(`  ${r.entry}: ${kb(r.checked)} KB > ${kb(r.budget)} KB, ceiling ${kb(r.ceiling)} KB: ${WAIVERS[r.entry]!.reason}`);
    }
  }
  const over = budgetViolations(rows);
  if (over.length > 0) {
    console.error(`\nover budget:\n  ${over.join('\n  ')}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
