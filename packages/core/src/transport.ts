/**
 * The `Transport` contract between a syncing client and whoever serves an
 * organisation's packs. A transport is untrusted: everything it returns is
 * validated and verified by the engine, so a transport only moves bytes.
 */

/** Ask for packs of (ns, orgId) with seq > `since`, starting at `token` if resuming. */
export interface PullRequest {
  ns: string;
  orgId: string;
  since: number;
  /** Hash of the pack at `since`, so a publisher can answer "nothing new" (HTTP 304) without a body. */
  sinceHash?: string;
  token?: string;
  signal?: AbortSignal;
}

/** One page of packs, in ascending seq. */
export interface PullPage {
  /** Untrusted pack values; the engine validates each one. */
  packs: unknown[];
  /** Continuation token when more pages follow. */
  next?: string;
  /** The publisher's hint: poll again no sooner than this many seconds. */
  refreshAfterSec?: number;
  /** The publisher said nothing changed since `since` (no pack bytes sent). */
  notModified?: boolean;
}

export interface PushResult {
  /** Whether the receiver stored the pack (false: it had it already). */
  stored: boolean;
  seq: number;
}

export interface Transport {
  pull(request: PullRequest): Promise<PullPage>;
  push(pack: unknown, options?: { signal?: AbortSignal }): Promise<PushResult>;
}
