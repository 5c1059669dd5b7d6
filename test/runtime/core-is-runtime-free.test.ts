/**
 * Core is runtime-free (DESIGN.md, STYLE.md "Runtime isolation"): its code
 * names no platform object, it declares no side effects and only its three
 * dependencies, and verification works with `globalThis.crypto` deleted.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnchorPack } from '@anchorsync/core';

const coreDir = fileURLToPath(new URL('../../packages/core/', import.meta.url));

const FORBIDDEN: readonly (readonly [string, RegExp])[] = [
  ['node:', /\bnode:/],
  ['Buffer', /\bBuffer\b/],
  ['process', /\bprocess\b/],
  ['window', /\bwindow\b/],
  ['document', /\bdocument\b/],
  ['crypto.subtle', /\bsubtle\b/],
];

/**
 * The source with every comment blanked (line breaks kept, so line numbers
 * hold). Comments may say why core avoids `crypto.subtle`; code may not use it.
 */
function withoutComments(fileName: string, text: string): string {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const chars = text.split(''); // UTF-16 units, as comment ranges count them
  const blank = (ranges: ts.CommentRange[] | undefined): void => {
    for (const r of ranges ?? []) for (let i = r.pos; i < r.end; i++) if (chars[i] !== '\n') chars[i] = ' ';
  };
  const visit = (node: ts.Node): void => {
    blank(ts.getLeadingCommentRanges(text, node.getFullStart()));
    blank(ts.getTrailingCommentRanges(text, node.getEnd()));
    for (const child of node.getChildren(source)) visit(child);
  };
  visit(source);
  return chars.join('');
}

/** `file:line: name` for every forbidden name in the code (not the comments) of `text`. */
function forbiddenMentions(fileName: string, text: string): string[] {
  const code = /\.[cm]?[jt]sx?$/.test(fileName) ? withoutComments(fileName, text) : text;
  const hits: string[] = [];
  code.split('\n').forEach((line, i) => {
    for (const [name, pattern] of FORBIDDEN) if (pattern.test(line)) hits.push(`${fileName}:${i + 1}: ${name}`);
  });
  return hits;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('core source names no platform object', () => {
  it('the scanner finds forbidden names in code and ignores them in comments', () => {
    const sample = [
      '// Buffer, process, window, document, node:fs and crypto.subtle in a comment are fine',
      "import { readFileSync } from 'node:fs';",
      'const b = Buffer.from(/* window */ "x");',
      "const url = 'https://example.org/*'; const p = process.env;",
      'const s = globalThis.crypto.subtle; /* document */',
      "const ok = /\\/\\*/.test('timeWindow'); const d = document.title;",
    ].join('\n');
    expect(forbiddenMentions('sample.ts', sample)).toEqual([
      'sample.ts:2: node:',
      'sample.ts:3: Buffer',
      'sample.ts:4: process',
      'sample.ts:5: crypto.subtle',
      'sample.ts:6: document',
    ]);
  });

  it('no file in packages/core/src mentions node:, Buffer, process, window, document or crypto.subtle', () => {
    const files = filesUnder(join(coreDir, 'src'));
    expect(files.map((f) => relative(coreDir, f))).toContain(join('src', 'ed25519.ts'));
    const hits = files.flatMap((f) => forbiddenMentions(relative(coreDir, f), readFileSync(f, 'utf8')));
    expect(hits, `core must stay runtime-free (STYLE.md "Runtime isolation"); rename or remove:\n${hits.join('\n')}`).toEqual([]);
  });
});

describe('core package.json', () => {
  const manifest = JSON.parse(readFileSync(join(coreDir, 'package.json'), 'utf8')) as Record<string, unknown>;

  it('declares "sideEffects": false', () => {
    expect(manifest.sideEffects).toBe(false);
  });

  it('depends only on @noble/ed25519, @noble/hashes and canonicalize', () => {
    expect(Object.keys((manifest.dependencies ?? {}) as object).sort()).toEqual(['@noble/ed25519', '@noble/hashes', 'canonicalize']);
    for (const field of ['peerDependencies', 'optionalDependencies', 'bundleDependencies', 'bundledDependencies']) {
      expect(manifest[field], field).toBeUndefined();
    }
  });
});

// A fixed key, so nothing below needs randomness.
const SECRET = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
const KID = 'root-2026';
const UNSIGNED = {
  v: 1,
  ns: 'prod',
  orgId: 'org-a',
  seq: 1,
  issuedAt: '2026-11-25T00:00:00.000Z',
  expiresAt: '2036-11-25T00:00:00.000Z',
  anchors: [],
} as const;
/** UNSIGNED signed once by SECRET with OpenSSL (node:crypto Ed25519 over 'anchorsync/pack-sig/v1\n' + SHA-256 of the signing bytes), pasted here. */
const SIGNED_EARLIER: AnchorPack = {
  ...UNSIGNED,
  anchors: [],
  sig: [{ kid: KID, alg: 'Ed25519', sig: 'ujQHeYBA4rNLQXQ5L0TNDaQNiCz5paabQuCEKe6DT7NDS9-mrJnQzWAiO7_EL7LVHTGaduR5Sg8eWQzjWJbPAQ' }],
};

/** Runs each test of the calling `describe` with `globalThis.crypto` deleted, and puts it back after. */
function withoutGlobalCrypto(): void {
  let saved: PropertyDescriptor | undefined;
  beforeEach(() => {
    saved = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
    expect(saved, 'Node 20 has globalThis.crypto to delete').toBeDefined();
    expect(Reflect.deleteProperty(globalThis, 'crypto')).toBe(true);
    // Evaluate core afresh, so nothing it captured at import time comes from a world with crypto.
    vi.resetModules();
  });
  afterEach(() => {
    if (saved) Object.defineProperty(globalThis, 'crypto', saved);
  });
}

describe('core without globalThis.crypto', () => {
  withoutGlobalCrypto();

  it('crypto is really gone', () => {
    expect(globalThis.crypto).toBeUndefined();
    expect('crypto' in globalThis).toBe(false);
  });

  it('verifies a pack signed earlier, and signs it again to the same bytes, from a local signer with a fixed key', async () => {
    expect(globalThis.crypto).toBeUndefined();
    const core = await import('@anchorsync/core');
    const { memoryStorage } = await import('@anchorsync/storage-memory');
    const storage = memoryStorage();
    const signer = await core.addSigner(storage, { kid: KID, secretKey: SECRET, clock: () => Date.parse(UNSIGNED.issuedAt) });
    const trusted = [{ kid: KID, pubB64u: signer.pubB64u, source: 'local' as const }];

    expect(core.verifyAnchorPack(SIGNED_EARLIER, { trusted }).signedBy).toEqual([signer.pubB64u]);
    const again = core.signAnchorPack({ ...UNSIGNED, anchors: [] }, [{ kid: KID, secretKey: await core.getSignerSecret(storage, KID) }]);
    expect(again).toEqual(SIGNED_EARLIER);

    let caught: unknown;
    try {
      core.verifyAnchorPack({ ...SIGNED_EARLIER, seq: 2 }, { trusted });
    } catch (e) {
      caught = e;
    }
    expect(core.isAnchorSyncError(caught, 'ERR_PACK_SIGNATURE')).toBe(true);
  });

  it('ed25519Sign and ed25519Verify work, and a wrong message fails', async () => {
    expect(globalThis.crypto).toBeUndefined();
    const core = await import('@anchorsync/core');
    const message = core.utf8('hello from a runtime without WebCrypto');
    const sig = core.ed25519Sign(message, SECRET);
    const pub = core.publicKeyOf(SECRET);
    expect(core.ed25519Verify(sig, message, pub)).toBe(true);
    expect(core.ed25519Verify(sig, core.utf8('hello from somewhere else'), pub)).toBe(false);
  });

  it('generateKeyPair() without a random source throws ERR_INVALID_ARGUMENT; with one it works', async () => {
    expect(globalThis.crypto).toBeUndefined();
    const core = await import('@anchorsync/core');
    let caught: unknown;
    try {
      core.generateKeyPair();
    } catch (e) {
      caught = e;
    }
    expect(core.isAnchorSyncError(caught, 'ERR_INVALID_ARGUMENT')).toBe(true);

    const customRandom = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 31 + 5) & 0xff);
    const pair = core.generateKeyPair(customRandom);
    expect(pair.secretKey).toEqual(customRandom(32));
    expect(pair.publicKey).toEqual(core.publicKeyOf(pair.secretKey));
    const message = core.utf8('m');
    expect(core.ed25519Verify(core.ed25519Sign(message, pair.secretKey), message, pair.publicKey)).toBe(true);
  });
});

describe('globalThis.crypto is restored after those tests', () => {
  it('crypto.getRandomValues is back', () => {
    expect(typeof globalThis.crypto.getRandomValues).toBe('function');
  });
});
