/**
 * The platform objects both sides talk through, as minimal structural types:
 * a Window (or an iframe's contentWindow), a Worker, a worker's own global
 * scope, a SharedWorker's port or a MessagePort. Nothing here names a DOM
 * type, so the package type-checks and runs in pages, workers and runtimes
 * without a DOM.
 */
import { AnchorSyncError } from '@anchorsync/core';

/** A Window or iframe `contentWindow`: posts take the origin the message may be delivered to. */
export interface WindowTarget {
  postMessage(message: unknown, targetOrigin: string): void;
}

/** A MessagePort, Worker, SharedWorker `port` or worker global scope. */
export interface PortTarget {
  postMessage(message: unknown): void;
}

/** What a `message` listener receives (a `MessageEvent`, seen structurally). */
export interface MessageEventLike {
  readonly data: unknown;
  /** The sender's origin on window messages; empty or absent on ports. */
  readonly origin?: string;
  /** The sender's WindowProxy on window messages; null on ports. */
  readonly source?: unknown;
}

export type MessageListener = (event: MessageEventLike) => void;

/**
 * Anything that dispatches `message` events: a Window, a port, a Worker, or
 * any EventTarget. The listener's event is typed loosely on purpose: a plain
 * `EventTarget` declares its listeners as taking `Event`, which has no
 * `data`, and it must fit too; the listeners here check what they receive.
 */
export interface MessageSource {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  addEventListener(type: 'message', listener: (event: any) => void): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  removeEventListener(type: 'message', listener: (event: any) => void): void;
  /** MessagePort only: delivery starts after `start()` when listening through `addEventListener`. */
  start?(): void;
}

/**
 * True when `value[name]` is a function. Reading it never throws for a real
 * platform object; anything odd (a revoked Proxy, a throwing getter) counts
 * as "no".
 */
export function hasMethod(value: unknown, name: string): boolean {
  try {
    return typeof (value as Record<string, unknown> | null | undefined)?.[name] === 'function';
  } catch {
    return false;
  }
}

/**
 * True for a Window: `w.window === w` holds for every WindowProxy, also a
 * cross-origin one, and for no port, Worker or worker global scope.
 */
export function isWindowLike(value: unknown): boolean {
  try {
    return value != null && (value as { window?: unknown }).window === value;
  } catch {
    return false;
  }
}

export function isMessageSource(value: unknown): value is MessageSource {
  return hasMethod(value, 'addEventListener') && hasMethod(value, 'removeEventListener');
}

/**
 * Checks an origin given by the caller: exactly a serialized origin such as
 * `https://keys.example` or `http://localhost:5173`. Refused: `'*'` (a
 * message posted with it goes to whatever page the target shows now, and a
 * URL host may even contain it), `'/'`, `'null'` (every sandboxed frame
 * shares it), paths, a trailing slash and upper case, none of which
 * `event.origin` ever equals.
 */
export function checkOrigin(value: unknown, what: string): string {
  try {
    if (!(value as string).includes('*') && new URL(value as string).origin === value) return value;
  } catch {
    // Not a string, or not a URL: refused below.
  }
  throw new AnchorSyncError('ERR_INVALID_ARGUMENT', `${what} must be an exact origin like https://app.example, never '*'`);
}
