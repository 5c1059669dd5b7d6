/**
 * Shared fixtures: real publishers (addSigner + publishAnchorPack), clients
 * that pin their root key, real MessageChannels closed after each test, and
 * windows simulated on EventTarget with the delivery rules of
 * `Window.postMessage` (structured clone, targetOrigin match, sender's origin
 * and WindowProxy on the event), recording every post.
 */
import { afterEach } from 'vitest';
import { isAnchorSyncError, type AnchorSyncError } from '@anchorsync/core';

export { NS, makePublisher, pinned, type Publisher } from '../../../test/fixtures/publisher.ts';

/** The AnchorSyncError a promise rejects with (fails the test on anything else). */
export async function rejection(promise: Promise<unknown>): Promise<AnchorSyncError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAnchorSyncError(error)) throw new Error(`expected an AnchorSyncError, got ${String(error)}`);
  return error;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Registers a cleanup to run after the test. */
export function onCleanup(cleanup: () => void): void {
  cleanups.push(cleanup);
}

/** A real MessageChannel whose ports are closed when the test ends. */
export function channel(): MessageChannel {
  const ch = new MessageChannel();
  onCleanup(() => {
    ch.port1.close();
    ch.port2.close();
  });
  return ch;
}

/** Resolves after pending message deliveries and their handlers (a macrotask, several times over). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** The message event a window receives; Node's MessageEvent only takes a MessagePort as source. */
export class WindowMessageEvent extends Event {
  constructor(
    readonly data: unknown,
    readonly origin: string,
    readonly source: unknown,
  ) {
    super('message');
  }
}

export interface Post {
  from: string;
  to: string;
  targetOrigin: string;
  message: unknown;
}

/** Every post made through any simulated WindowProxy, in order. */
export const posts: Post[] = [];
afterEach(() => {
  posts.length = 0;
});

/** A browsing context: listeners go on it; other windows reach it through `proxyFor`. */
export class FakeWindow extends EventTarget {
  /** `w.window === w`, as for every real Window: what the transport detects windows by. */
  readonly window = this;
  private readonly proxies = new Map<FakeWindow, object>();

  constructor(readonly origin: string) {
    super();
  }

  /**
   * The WindowProxy through which `viewer` sees this window (an iframe's
   * contentWindow, `window.parent`, `event.source`): one object per pair, so
   * identity checks on `event.source` behave as in a browser.
   */
  proxyFor(viewer: FakeWindow): { window: unknown; postMessage(message: unknown, targetOrigin: string): void } {
    let proxy = this.proxies.get(viewer) as ReturnType<FakeWindow['proxyFor']> | undefined;
    if (proxy) return proxy;
    const receiver = this;
    proxy = {
      get window() {
        return proxy;
      },
      postMessage(message: unknown, targetOrigin: string) {
        if (typeof targetOrigin !== 'string') throw new TypeError('targetOrigin is required');
        posts.push({ from: viewer.origin, to: receiver.origin, targetOrigin, message });
        const data = structuredClone(message);
        // The browser delivers only when the receiver's origin matches (or '*', the thing we never send).
        if (targetOrigin !== '*' && targetOrigin !== receiver.origin) return;
        setTimeout(() => receiver.dispatchEvent(new WindowMessageEvent(data, viewer.origin, viewer.proxyFor(receiver))), 0);
      },
    };
    this.proxies.set(viewer, proxy);
    return proxy;
  }
}
