/**
 * @anchorsync/transport-postmessage/client: `postMessageTransport()`, the
 * core `Transport` over postMessage to a `servePostMessage` responder in an
 * iframe, a window, a Worker or at the other end of a MessagePort, plus
 * `request()` for every other op (the reads of `./reads`, an application's
 * own ops). The protocol is fixed in protocol.ts. Every reply's envelope,
 * error and size are checked here, the results of pull and push strictly
 * (the reads check theirs), and core verifies every pack.
 */
import { AnchorSyncError, bytesToB64u, defaultRandom, type PullPage, type PullRequest, type PushResult, type Transport } from '@anchorsync/core';
import { checkOrigin, hasMethod, isMessageSource, isWindowLike, type MessageEventLike, type MessageSource, type PortTarget, type WindowTarget } from './endpoint.ts';
import { intOption, invalidOption } from './options.ts';
import { plainJsonSize } from './plain-data.ts';
import { DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_REPLY_BYTES, DEFAULT_MAX_REQUEST_BYTES, DEFAULT_TIMEOUT_MS, PROTOCOL_VERSION } from './protocol.ts';
import { checkPage, checkPushResult, replyOf } from './reply.ts';
import { envelopeId } from './wire.ts';

export type { MessageEventLike, MessageListener, MessageSource, PortTarget, WindowTarget } from './endpoint.ts';

export interface PostMessageTransportOptions {
  /** Who answers: an iframe's `contentWindow`, a Window, a Worker, a SharedWorker's `port`, a MessagePort. */
  target: WindowTarget | PortTarget;
  /** Required for a Window target: its exact origin, e.g. `https://keys.example`. Never `'*'`. */
  targetOrigin?: string;
  /** Where replies arrive. Required for a Window target (your own `window`); default for a port or Worker: `target`. */
  listenOn?: MessageSource;
  /** Per request. Default 10 000. */
  timeoutMs?: number;
  /** Requests waiting at once; past it a request fails with `ERR_TRANSPORT`. Default 64. */
  maxInFlight?: number;
  /** Largest request sent (a pushed pack). Default 8 MiB. */
  maxRequestBytes?: number;
  /** Largest reply read. Default 64 MiB. */
  maxReplyBytes?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** The core Transport, plus any other op of the responder. */
export interface PostMessageTransport extends Transport {
  /**
   * Sends one request of `op` with `members` and resolves with the
   * responder's `result`. The envelope, error and size of the reply are
   * checked here; the result itself is plain JSON the responder chose:
   * check it before use (the `./reads` functions do, for the protocol's
   * reads). The responder checks the request: an op it does not serve is
   * `ERR_METHOD_NOT_ALLOWED`, malformed members `ERR_INVALID_ARGUMENT`.
   */
  request(op: string, members?: Record<string, unknown>, options?: CallOptions): Promise<unknown>;
  /** Requests waiting for a reply now. */
  readonly inFlight: number;
  /** Fails every waiting request with `ERR_ABORTED` and refuses new ones. To close on an AbortSignal: `signal.addEventListener('abort', () => keys.close())`. */
  close(): void;
}

const aborted = (reason: unknown, message = 'the request was aborted'): AnchorSyncError => new AnchorSyncError('ERR_ABORTED', message, { cause: reason });

/**
 * Makes a Transport that talks to a `servePostMessage` responder.
 *
 * @throws {AnchorSyncError} `ERR_INVALID_ARGUMENT` for unusable options, among
 * them a `targetOrigin` of `'*'` and a Window target without `targetOrigin`
 * or `listenOn`.
 * @example
 * ```ts
 * import { postMessageTransport } from '@anchorsync/transport-postmessage/client'
 * const frame = document.querySelector('iframe')!
 * const keys = postMessageTransport({ target: frame.contentWindow!, targetOrigin: 'https://keys.example', listenOn: window })
 * const summary = await keys.request('x-sync', { ns: 'prod', orgId: 'org-b' })
 * ```
 */
export function postMessageTransport(options: PostMessageTransportOptions): PostMessageTransport {
  const { target, targetOrigin } = options;
  if (!hasMethod(target, 'postMessage')) throw invalidOption('target must have postMessage');
  const timeoutMs = intOption(options, 'timeoutMs', 1, 2_147_483_647, DEFAULT_TIMEOUT_MS);
  const maxInFlight = intOption(options, 'maxInFlight', 1, 65_536, DEFAULT_MAX_IN_FLIGHT);
  const maxRequestBytes = intOption(options, 'maxRequestBytes', 1, Infinity, DEFAULT_MAX_REQUEST_BYTES);
  const maxReplyBytes = intOption(options, 'maxReplyBytes', 1, Infinity, DEFAULT_MAX_REPLY_BYTES);
  // A Window needs the exact origin to post to and to accept replies from; a port has no origin.
  const isWindow = targetOrigin !== undefined || isWindowLike(target);
  const origin = isWindow ? checkOrigin(targetOrigin, 'targetOrigin') : undefined;
  const listenOn = isWindow ? options.listenOn : (options.listenOn ?? target);
  if (!isMessageSource(listenOn)) throw invalidOption('listenOn must have addEventListener');

  /** Each waiting request's `done`: it resolves or rejects the request and forgets it. */
  const pending = new Map<string, (error: unknown, result?: unknown) => void>();
  // The random part keeps two clients on one window apart and makes ids unguessable.
  const prefix = bytesToB64u(defaultRandom(9));
  let counter = 0;
  let closed: AnchorSyncError | undefined;

  function onMessage(event: MessageEventLike): void {
    // Window mode: only the target itself, at the origin we posted to, can answer.
    if (isWindow && (event.origin !== origin || event.source !== target)) return;
    // Not ours, late (timed out, aborted) or a duplicate: ignored before any further work.
    const done = pending.get(envelopeId(event.data)!);
    if (!done) return;
    try {
      done(undefined, replyOf(event.data, maxReplyBytes));
    } catch (error) {
      done(error);
    }
  }

  const send = (op: string, members: object, signal: AbortSignal | undefined): Promise<unknown> =>
    new Promise<unknown>((resolve, reject) => {
      if (closed || signal?.aborted) throw closed ?? aborted(signal!.reason);
      if (pending.size >= maxInFlight) throw new AnchorSyncError('ERR_TRANSPORT', 'too many requests in flight', { details: { maxInFlight } });
      const id = `${prefix}.${(++counter).toString(36)}`;
      // Members left undefined are left out, as JSON would: structured clone would keep them.
      const message = Object.fromEntries(Object.entries({ ...members, anchorsync: PROTOCOL_VERSION, id, op }).filter(([, v]) => v !== undefined));
      const sized = plainJsonSize(message, maxRequestBytes);
      if ('error' in sized) {
        throw sized.error === 'too-large'
          ? new AnchorSyncError('ERR_PACK_TOO_LARGE', `request exceeds ${maxRequestBytes} bytes`)
          : new AnchorSyncError('ERR_INVALID_ARGUMENT', 'request is not plain JSON data');
      }
      const done = (error: unknown, result?: unknown): void => {
        pending.delete(id);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (pending.size === 0) listenOn.removeEventListener('message', onMessage);
        if (error) reject(error);
        else resolve(result);
      };
      const onAbort = () => done(aborted(signal?.reason));
      const timer = setTimeout(() => done(new AnchorSyncError('ERR_TIMEOUT', `no answer within ${timeoutMs} ms`, { details: { timeoutMs } })), timeoutMs);
      if (pending.size === 0) {
        listenOn.addEventListener('message', onMessage);
        listenOn.start?.();
      }
      pending.set(id, done);
      signal?.addEventListener('abort', onAbort);
      try {
        // Ports take no origin (the second argument is their optional transfer list); a Window always gets the exact one.
        (target as WindowTarget).postMessage(message, origin!);
      } catch (cause) {
        done(new AnchorSyncError('ERR_TRANSPORT', 'postMessage failed', { cause }));
      }
    });

  // Requests are the responder's to check (its ops refuse bad members with ERR_INVALID_ARGUMENT); replies are ours.
  return {
    async pull({ ns, orgId, since, sinceHash, token, signal }: PullRequest): Promise<PullPage> {
      return checkPage(await send('pull', { ns, orgId, since, sinceHash, token }, signal));
    },
    async push(pack: unknown, callOptions?: CallOptions): Promise<PushResult> {
      const p = pack as { ns?: unknown; orgId?: unknown } | null | undefined;
      return checkPushResult(await send('push', { ns: p?.ns, orgId: p?.orgId, pack }, callOptions?.signal));
    },
    request(op: string, members: Record<string, unknown> = {}, callOptions?: CallOptions): Promise<unknown> {
      return send(op, members, callOptions?.signal);
    },
    get inFlight() {
      return pending.size;
    },
    close() {
      closed ??= aborted(undefined, 'the transport was closed');
      for (const done of [...pending.values()]) done(closed);
    },
  };
}
