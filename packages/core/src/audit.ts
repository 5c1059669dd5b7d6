/**
 * Audit events sent to a caller-provided sink. Events carry ids, seq
 * numbers, counts and codes: never a secret key, never a signature.
 */
import type { ApplyCounts } from './types.ts';

interface EventBase {
  /** RFC 3339 time of the event. */
  at: string;
  ns: string;
  orgId: string;
}

/** A pull from a peer's publisher (one event per page). */
export interface SyncPullEvent extends EventBase {
  type: 'FED_ANCHOR_SYNC_PULL';
  since: number;
  packs: number;
  notModified: boolean;
}

/** A pack passed every acceptance rule and was stored. */
export interface SyncApplyEvent extends EventBase {
  type: 'FED_ANCHOR_SYNC_APPLY';
  seq: number;
  hash: string;
  counts: ApplyCounts;
  /** Non-fatal findings such as `CLOCK_SKEW`. */
  warnings: string[];
}

/** A pack (or a pull) was refused; `code` is the AnchorSyncError code. */
export interface SyncRejectEvent extends EventBase {
  type: 'FED_ANCHOR_SYNC_REJECT';
  code: string;
  message: string;
  seq?: number;
}

/** This organisation published a pack. */
export interface PublishEvent extends EventBase {
  type: 'FED_ANCHOR_PUBLISH';
  seq: number;
  hash: string;
  anchors: number;
  signedBy: string[];
}

export type AuditEvent = SyncPullEvent | SyncApplyEvent | SyncRejectEvent | PublishEvent;

/** Receives audit events. It may be async; the SDK waits for it. */
export type AuditSink = (event: AuditEvent) => void | Promise<void>;

/**
 * Sends an event to the sink. A failing sink does not undo or stop the
 * operation it reports on; its failure is returned as a warning instead.
 */
export async function emitAudit(sink: AuditSink | undefined, event: AuditEvent): Promise<string | undefined> {
  if (!sink) return undefined;
  try {
    await sink(event);
    return undefined;
  } catch {
    return 'AUDIT_SINK_FAILED';
  }
}
