/**
 * The app page's DOM: the inbox with each message's verdict, the table of
 * peer organisations and their anchors, and the sync controls. Text only
 * goes in through `textContent`: names and kids come from other
 * organisations and are never parsed as HTML.
 */
import type { Anchor, MessageVerdict, SyncState } from '@anchorsync/core';
import type { InboxMessage } from './wire.ts';

export interface PeerView {
  ns: string;
  orgId: string;
  state?: SyncState;
  anchors: Anchor[];
}

export type SyncPhase = { phase: 'idle' } | { phase: 'syncing'; done: number; total: number } | { phase: 'done'; packsApplied: number } | { phase: 'failed'; detail: string };

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
}

function when(iso: string | undefined): string {
  return iso === undefined ? 'never' : new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
}

/** The verdict line of a message: VALID only for a good signature by an ACTIVE key. */
export function renderVerdict(messageId: string, verdict: MessageVerdict | { error: string }): void {
  const item = document.querySelector<HTMLElement>(`#inbox li[data-id="${CSS.escape(messageId)}"]`);
  const badge = item?.querySelector<HTMLElement>('.verdict');
  if (!item || !badge) return;
  let text: string;
  let state: string;
  if ('error' in verdict) [text, state] = [`not checked: ${verdict.error}`, 'error'];
  else if (verdict.ok) [text, state] = [`VALID · signed by ${verdict.anchor.kid} (ACTIVE)`, 'valid'];
  else [text, state] = [`REFUSED · ${verdict.reason}`, 'refused'];
  badge.textContent = text;
  badge.className = `verdict verdict-${state}`;
  item.dataset.verdict = 'error' in verdict ? 'ERROR' : verdict.ok ? 'VALID' : verdict.reason;
}

export function renderInbox(messages: readonly InboxMessage[]): void {
  const list = byId<HTMLUListElement>('inbox');
  list.replaceChildren(
    ...messages.map((m) => {
      const item = el('li');
      item.dataset.id = m.id;
      const head = el('div', undefined, 'message-head');
      head.append(el('strong', m.from), el('span', ` · signed with ${m.orgId} / ${m.kid}`, 'muted'));
      item.append(head, el('p', m.text, 'message-text'), el('span', 'checking…', 'verdict verdict-pending'));
      return item;
    }),
  );
}

export function renderPeers(peers: readonly PeerView[]): void {
  const body = byId<HTMLTableElement>('anchors').tBodies[0]!;
  const rows: HTMLTableRowElement[] = [];
  for (const peer of peers) {
    const head = el('tr', undefined, 'org');
    const title = el('th', undefined);
    title.colSpan = 5;
    title.scope = 'rowgroup';
    const seq = peer.state ? `pack #${peer.state.seq}` : 'waiting for its first sync';
    title.append(el('span', peer.orgId, 'org-id'), el('span', ` · ${peer.ns} · ${seq} · synced ${when(peer.state?.lastSyncAt)}`, 'muted'));
    head.append(title);
    head.dataset.org = peer.orgId;
    head.dataset.seq = String(peer.state?.seq ?? 0);
    rows.push(head);
    for (const a of peer.anchors) {
      const row = el('tr', undefined, 'anchor');
      Object.assign(row.dataset, { org: a.orgId, kid: a.kid, status: a.status });
      const status = el('td');
      status.append(el('span', a.status, `status status-${a.status}`));
      row.append(el('td', a.orgId), el('td', a.kid, 'kid'), status, el('td', when(a.updatedAt)), el('td', `${a.pubB64u.slice(0, 16)}…`, 'key'));
      rows.push(row);
    }
  }
  body.replaceChildren(...rows);
  const last = peers.map((p) => p.state?.lastSyncAt).filter((t): t is string => t !== undefined).sort().at(-1);
  const lastSync = byId('last-sync');
  lastSync.textContent = `Last sync: ${when(last)}`;
  if (last !== undefined) lastSync.dataset.at = last;
}

export function renderSync(state: SyncPhase): void {
  const button = byId<HTMLButtonElement>('sync-now');
  const progress = byId<HTMLProgressElement>('sync-progress');
  const status = byId('sync-status');
  button.disabled = state.phase === 'syncing';
  progress.hidden = state.phase !== 'syncing';
  status.dataset.state = state.phase;
  if (state.phase === 'syncing') {
    progress.max = Math.max(state.total, 1);
    progress.value = state.done;
    status.textContent = state.total === 0 ? 'syncing…' : `syncing… ${state.done}/${state.total}`;
  } else if (state.phase === 'done') {
    status.dataset.packsApplied = String(state.packsApplied);
    status.textContent = state.packsApplied === 0 ? 'done · up to date' : `done · ${state.packsApplied} new pack${state.packsApplied === 1 ? '' : 's'}`;
  } else if (state.phase === 'failed') {
    status.textContent = `failed · ${state.detail}`;
  } else {
    status.textContent = '';
  }
}

export function renderProblem(text: string): void {
  const banner = byId('problem');
  banner.hidden = false;
  banner.textContent = text;
}

export function onSyncClick(handler: () => void): void {
  byId<HTMLButtonElement>('sync-now').addEventListener('click', handler);
}
