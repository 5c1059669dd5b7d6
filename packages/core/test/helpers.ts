/**
 * Shared fixtures for the core behaviour tests: a test clock, publishing
 * organisations with known secrets, syncing clients with an audit log, raw
 * (unvalidated) pack signing for hostile packs, and a whole-storage snapshot
 * used to prove that a rejection changed nothing.
 */
import { expect } from 'vitest';
import { memoryStorage } from '@anchorsync/storage-memory';
import {
  addSigner,
  bytesToB64u,
  ed25519Sign,
  generateKeyPair,
  isAnchorSyncError,
  packDigest,
  packSignatureMessage,
  packSigningBytes,
  pinTrustAnchor,
  publishAnchorPack,
  retireSigner,
  revokeSigner,
  type Anchor,
  type AnchorStatus,
  type AuditEvent,
  type AuditSink,
  type EngineContext,
  type JsonValue,
  type PackSigner,
  type PublishOptions,
  type PublishResult,
  type StorageDriver,
  type SyncResult,
  type UnsignedAnchorPack,
} from '@anchorsync/core';

export const NS = 'prod';
export const T0 = Date.parse('2026-03-01T12:00:00.000Z');
export const SEC = 1_000;
export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** A settable clock. */
export interface TestClock {
  (): number;
  advance(ms: number): void;
  set(ms: number): void;
}

export function testClock(start = T0): TestClock {
  let now = start;
  const clock = (() => now) as TestClock;
  clock.advance = (ms) => {
    now += ms;
  };
  clock.set = (ms) => {
    now = ms;
  };
  return clock;
}

export const iso = (ms: number): string => new Date(ms).toISOString();

/** A publishing organisation whose signer secrets the test keeps (even after retire/revoke deletes them). */
export interface Org {
  orgId: string;
  storage: StorageDriver;
  clock: TestClock;
  events: AuditEvent[];
  audit: AuditSink;
  keys: Map<string, { pubB64u: string; secretKey: Uint8Array }>;
  pub(kid: string): string;
  signer(kid: string): PackSigner;
  addSigner(kid: string): Promise<void>;
  retire(kid: string): Promise<void>;
  revoke(kid: string): Promise<void>;
  publish(options?: Partial<PublishOptions>): Promise<PublishResult>;
}

export async function makeOrg(orgId = 'org-a', options: { kids?: string[]; clock?: TestClock; storage?: StorageDriver } = {}): Promise<Org> {
  const clock = options.clock ?? testClock();
  const storage = options.storage ?? memoryStorage();
  const events: AuditEvent[] = [];
  const keys = new Map<string, { pubB64u: string; secretKey: Uint8Array }>();
  const org: Org = {
    orgId,
    storage,
    clock,
    events,
    audit: (e) => {
      events.push(structuredClone(e));
    },
    keys,
    pub(kid) {
      const k = keys.get(kid);
      if (!k) throw new Error(`test org ${orgId} has no key ${kid}`);
      return k.pubB64u;
    },
    signer(kid) {
      const k = keys.get(kid);
      if (!k) throw new Error(`test org ${orgId} has no key ${kid}`);
      return { kid, secretKey: k.secretKey };
    },
    async addSigner(kid) {
      const { secretKey } = generateKeyPair();
      const record = await addSigner(storage, { kid, secretKey, clock });
      keys.set(kid, { pubB64u: record.pubB64u, secretKey });
    },
    async retire(kid) {
      await retireSigner(storage, kid, { clock });
    },
    async revoke(kid) {
      await revokeSigner(storage, kid, { clock });
    },
    publish(extra = {}) {
      return publishAnchorPack({ storage, ns: NS, orgId, clock, audit: org.audit, ...extra });
    },
  };
  for (const kid of options.kids ?? ['k1']) await org.addSigner(kid);
  return org;
}

/** A syncing client with its own storage and audit log. */
export interface Client {
  storage: StorageDriver;
  clock: TestClock;
  events: AuditEvent[];
  audit: AuditSink;
  ctx(extra?: Partial<EngineContext>): EngineContext;
  pin(org: Org, kid?: string): Promise<void>;
}

export function makeClient(clock: TestClock = testClock(), storage: StorageDriver = memoryStorage()): Client {
  const events: AuditEvent[] = [];
  const client: Client = {
    storage,
    clock,
    events,
    audit: (e) => {
      events.push(structuredClone(e));
    },
    ctx(extra = {}) {
      return { storage, clock, audit: client.audit, ...extra };
    },
    async pin(org, kid = 'k1') {
      await pinTrustAnchor(storage, { ns: NS, orgId: org.orgId, kid, pubB64u: org.pub(kid) }, { clock });
    },
  };
  return client;
}

export function anchorOf(
  orgId: string,
  kid: string,
  pubB64u: string,
  status: AnchorStatus = 'ACTIVE',
  createdAt = iso(T0),
  updatedAt = createdAt,
): Anchor {
  return { orgId, kid, pubB64u, status, createdAt, updatedAt };
}

/** An unsigned pack body; `prev` only when given. */
export function packBody(
  orgId: string,
  seq: number,
  anchors: Anchor[],
  options: { prev?: string; issuedAt?: number; expiresAt?: number; ns?: string } = {},
): UnsignedAnchorPack {
  const issuedAt = options.issuedAt ?? T0;
  const body: UnsignedAnchorPack = {
    v: 1,
    ns: options.ns ?? NS,
    orgId,
    seq,
    issuedAt: iso(issuedAt),
    expiresAt: iso(options.expiresAt ?? issuedAt + DAY),
    anchors,
  };
  if (options.prev !== undefined) body.prev = options.prev;
  return body;
}

/**
 * Signs the signing bytes of any object, valid or not: for packs that break
 * a shape rule yet carry a genuine signature by a trusted key.
 */
export function rawSign(body: Record<string, unknown>, signers: readonly PackSigner[]): Record<string, unknown> {
  const message = packSignatureMessage(packDigest(packSigningBytes(body as unknown as UnsignedAnchorPack)));
  return { ...body, sig: signers.map((s) => ({ kid: s.kid, alg: 'Ed25519', sig: bytesToB64u(ed25519Sign(message, s.secretKey)) })) };
}

/** Every key of a storage and the JSON text of its value. */
export async function snapshot(storage: StorageDriver): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await storage.list('')) out[key] = JSON.stringify(await storage.get(key));
  return out;
}

export const EVIDENCE_PREFIX = 'fed:evidence:';

function withoutEvidence(snap: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(snap).filter(([k]) => !k.startsWith(EVIDENCE_PREFIX)));
}

export function rejectEvents(events: readonly AuditEvent[], code: string): AuditEvent[] {
  return events.filter((e) => e.type === 'FED_ANCHOR_SYNC_REJECT' && e.code === code);
}

/**
 * Runs `run`, expects it to throw an AnchorSyncError with `code`, the whole
 * storage to be byte-identical (evidence keys aside when `evidence`), and a
 * FED_ANCHOR_SYNC_REJECT event with `code` in `events`. Returns the error.
 */
export async function expectRejected(
  target: { storage: StorageDriver; events: AuditEvent[] },
  code: string,
  run: () => Promise<unknown>,
  options: { evidence?: boolean } = {},
): Promise<unknown> {
  const before = await snapshot(target.storage);
  const eventsBefore = target.events.length;
  let caught: unknown;
  let returned: unknown;
  try {
    returned = await run();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${code}, got a result ${JSON.stringify(returned)}`).toBeDefined();
  expect(isAnchorSyncError(caught), String(caught)).toBe(true);
  expect((caught as { code: string }).code, String(caught)).toBe(code);
  expect(isAnchorSyncError(caught, code as never)).toBe(true);
  const after = await snapshot(target.storage);
  if (options.evidence) {
    expect(withoutEvidence(after)).toEqual(withoutEvidence(before));
  } else {
    expect(after).toEqual(before);
  }
  expect(rejectEvents(target.events.slice(eventsBefore), code).length, `one FED_ANCHOR_SYNC_REJECT ${code} event`).toBe(1);
  return caught;
}

/** For sync runs, which report instead of throwing: the peer's result is a rejection with `code`, storage unchanged, audited. */
export async function expectSyncRejected(
  target: { storage: StorageDriver; events: AuditEvent[] },
  code: string,
  run: () => Promise<SyncResult[]>,
  orgId: string,
): Promise<SyncResult> {
  const before = await snapshot(target.storage);
  const eventsBefore = target.events.length;
  const results = await run();
  const result = results.find((r) => r.orgId === orgId);
  expect(result, `a result for ${orgId}`).toBeDefined();
  expect(result!.ok).toBe(false);
  expect(result!.rejected?.code).toBe(code);
  expect(await snapshot(target.storage)).toEqual(before);
  expect(rejectEvents(target.events.slice(eventsBefore), code).length).toBeGreaterThanOrEqual(1);
  return result!;
}

/** A StorageDriver over a Map the test owns, so several driver objects can share one backend. */
export function mapStorage(backend: Map<string, string>): StorageDriver {
  return {
    async get(key) {
      const text = backend.get(key);
      return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
    },
    async set(key, value) {
      backend.set(key, JSON.stringify(value));
    },
    async delete(key) {
      backend.delete(key);
    },
    async list(prefix) {
      return [...backend.keys()].filter((k) => k.startsWith(prefix)).sort();
    },
  };
}

/** A driver that yields to the event loop before every operation, so unlocked read-modify-write would interleave. */
export function slowStorage(inner: StorageDriver, delayMs = 1): StorageDriver {
  const pause = () => new Promise((r) => setTimeout(r, delayMs));
  return {
    async get(key) {
      await pause();
      return inner.get(key);
    },
    async set(key, value) {
      await pause();
      return inner.set(key, value);
    },
    async delete(key) {
      await pause();
      return inner.delete(key);
    },
    async list(prefix) {
      await pause();
      return inner.list(prefix);
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
