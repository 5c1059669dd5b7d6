/**
 * The messenger's page. It frames the key manager (another origin, sandboxed)
 * and asks it, over postMessage, whether each message in the inbox was signed
 * by an ACTIVE key of the sender's organisation; it shows the peers' anchors
 * and lets the user sync now. The page holds no keys and no trust store.
 */
import { isAnchorSyncError } from '@anchorsync/core';
import { postMessageTransport, type PostMessageTransport } from '@anchorsync/transport-postmessage/client';
import { getPeerAnchors, listPeers, verifyMessage } from '@anchorsync/transport-postmessage/reads';
import { fetchConfig, parseAppConfig } from './config.ts';
import { onSyncClick, renderInbox, renderPeers, renderProblem, renderSync, renderVerdict } from './view.ts';
import { parseNotice, parseSyncSummary, SYNC_OP, type InboxMessage } from './wire.ts';

/** Waiting longer than this for the key manager to start is a failure the user should see. */
const READY_TIMEOUT_MS = 15_000;
/** A sync pulls over the network: give it longer than a local read. */
const REQUEST_TIMEOUT_MS = 30_000;

const codeOf = (error: unknown): string => (isAnchorSyncError(error) ? error.code : error instanceof Error ? error.message : 'unexpected error');

/** The inbox from the chat server; a message that is not well formed is left out, not shown unchecked. */
async function loadInbox(url: string): Promise<InboxMessage[]> {
  const response = await fetch(url, { cache: 'no-store' });
  const body: unknown = response.ok ? await response.json() : [];
  const fields = ['id', 'from', 'ns', 'orgId', 'kid', 'text', 'signature'] as const;
  return (Array.isArray(body) ? body : []).filter(
    (m): m is InboxMessage => typeof m === 'object' && m !== null && fields.every((f) => typeof (m as Record<string, unknown>)[f] === 'string'),
  );
}

/** Frames the key manager and resolves once it says it is ready; `onChange` hears its anchors-changed notices. */
function frameKeyManager(url: string, onChange: () => void): Promise<{ frame: HTMLIFrameElement; origin: string }> {
  const origin = new URL(url).origin;
  const frame = document.createElement('iframe');
  // Scripts and its own origin (so it keeps its own IndexedDB); no forms, popups or top navigation.
  frame.sandbox.add('allow-scripts', 'allow-same-origin');
  frame.src = url;
  frame.title = 'Key manager';
  frame.hidden = true;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the key manager did not start')), READY_TIMEOUT_MS);
    window.addEventListener('message', (event) => {
      // Only the frame we made, at the origin we loaded: any other window may post to us too.
      if (event.origin !== origin || event.source !== frame.contentWindow) return;
      const notice = parseNotice(event.data);
      if (notice?.type === 'ready') {
        clearTimeout(timer);
        resolve({ frame, origin });
      } else if (notice?.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`the key manager could not start: ${notice.code}`));
      } else if (notice?.type === 'anchors-changed') onChange();
    });
    document.body.append(frame);
  });
}

async function start(): Promise<void> {
  const config = parseAppConfig(await fetchConfig('/app-config.json'), location.href);
  let keys: PostMessageTransport | undefined;
  let inbox: InboxMessage[] = [];

  // One refresh at a time; a request for another while one runs makes one more run after it.
  let running: Promise<void> | undefined;
  let again = false;
  const refresh = async (): Promise<void> => {
    if (running) return void (again = true);
    running = (async () => {
      do {
        again = false;
        if (!keys) return;
        const k = keys;
        const { peers } = await listPeers(k);
        renderPeers(await Promise.all(peers.map(async (p) => ({ ...p, anchors: await getPeerAnchors(k, p.ns, p.orgId) }))));
        await Promise.all(
          inbox.map(async (m) => {
            try {
              renderVerdict(m.id, await verifyMessage(k, { ns: m.ns, orgId: m.orgId, kid: m.kid, message: m.text, signature: m.signature }));
            } catch (error) {
              renderVerdict(m.id, { error: codeOf(error) });
            }
          }),
        );
      } while (again);
    })().finally(() => (running = undefined));
    return running;
  };

  let syncing = false;
  const syncAll = async (force: boolean): Promise<void> => {
    if (syncing || !keys) return;
    syncing = true;
    renderSync({ phase: 'syncing', done: 0, total: 0 });
    try {
      const { peers } = await listPeers(keys);
      let packsApplied = 0;
      const failures: string[] = [];
      for (const [i, peer] of peers.entries()) {
        renderSync({ phase: 'syncing', done: i, total: peers.length });
        const summary = parseSyncSummary(await keys.request(SYNC_OP, { ns: peer.ns, orgId: peer.orgId, force }));
        packsApplied += summary.packsApplied;
        if (!summary.ok) failures.push(`${summary.orgId}: ${summary.code ?? 'failed'}`);
      }
      await refresh();
      renderSync(failures.length === 0 ? { phase: 'done', packsApplied } : { phase: 'failed', detail: failures.join(', ') });
    } catch (error) {
      renderSync({ phase: 'failed', detail: codeOf(error) });
    } finally {
      syncing = false;
    }
  };

  const { frame, origin } = await frameKeyManager(config.keyManagerUrl, () => void refresh().catch(() => undefined));
  keys = postMessageTransport({ target: frame.contentWindow!, targetOrigin: origin, listenOn: window, timeoutMs: REQUEST_TIMEOUT_MS });
  inbox = await loadInbox(config.inboxUrl);
  renderInbox(inbox);
  // What the store holds is shown first, from IndexedDB; the network comes after.
  await refresh();
  document.body.dataset.ready = 'true';
  onSyncClick(() => void syncAll(true));
  // On open, sync only the peers that are due (the publishers' refresh hints).
  await syncAll(false);
}

start().catch((error: unknown) => {
  console.error(error);
  renderProblem(`Messages from other organisations cannot be checked: ${codeOf(error)}.`);
});
