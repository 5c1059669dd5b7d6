/**
 * The static parts of the two pages and the headers they are served with.
 * The Content-Security-Policy is part of the design: the app may frame only
 * the key manager, and the key manager may be framed only by the app and may
 * talk only to its own origin and the pack servers.
 */

export const APP_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Messenger · signatures from other organisations</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header>
  <h1>Messenger</h1>
  <p class="muted">Every message from another organisation is checked by the key manager, a separate origin that keeps the organisations' keys.</p>
</header>
<p id="problem" class="problem" role="alert" hidden></p>
<main>
  <section>
    <h2>Inbox</h2>
    <ul id="inbox"></ul>
  </section>
  <section>
    <h2>Peer organisations</h2>
    <div class="toolbar">
      <button id="sync-now" type="button">Sync now</button>
      <progress id="sync-progress" hidden></progress>
      <span id="sync-status" role="status" data-state="idle"></span>
      <span id="last-sync" class="muted">Last sync: never</span>
    </div>
    <table id="anchors">
      <thead><tr><th>Organisation</th><th>Key</th><th>Status</th><th>Updated</th><th>Public key</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
</main>
<script type="module" src="/app.js"></script>
</body>
</html>
`;

export const APP_CSS = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 960px; padding: 16px 24px; color: #1f2328; background: #fff; }
h1 { margin: 0 0 4px; font-size: 24px; }
h2 { font-size: 17px; margin: 24px 0 8px; }
.muted { color: #59636e; }
.problem { background: #ffebe9; border: 1px solid #cf222e; padding: 8px 12px; border-radius: 6px; }
#inbox { list-style: none; padding: 0; margin: 0; }
#inbox li { border: 1px solid #d1d9e0; border-radius: 6px; padding: 8px 12px; margin-bottom: 8px; }
.message-text { margin: 4px 0; }
.verdict { display: inline-block; font-size: 13px; font-weight: 600; padding: 1px 8px; border-radius: 10px; }
.verdict-valid { background: #dafbe1; color: #116329; }
.verdict-refused, .verdict-error { background: #ffebe9; color: #a40e26; }
.verdict-pending { background: #f6f8fa; color: #59636e; }
.toolbar { display: flex; gap: 12px; align-items: center; margin-bottom: 8px; }
button { font: inherit; padding: 4px 14px; border-radius: 6px; border: 1px solid #1f883d; background: #1f883d; color: #fff; cursor: pointer; }
button:disabled { background: #94d3a2; border-color: #94d3a2; cursor: progress; }
#sync-status[data-state="failed"] { color: #a40e26; font-weight: 600; }
#sync-status[data-state="done"] { color: #116329; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #d1d9e0; }
tr.org th { background: #f6f8fa; font-weight: 400; }
.org-id { font-weight: 600; }
.kid, .key { font-family: ui-monospace, monospace; font-size: 13px; }
.status { display: inline-block; min-width: 70px; text-align: center; font-size: 12px; font-weight: 700; padding: 1px 8px; border-radius: 10px; color: #fff; }
.status-ACTIVE { background: #1a7f37; }
.status-RETIRED { background: #bf8700; }
.status-REVOKED { background: #cf222e; }
`;

export const KEY_MANAGER_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Key manager</title></head>
<body>
<script type="module" src="/key-manager.js"></script>
</body>
</html>
`;

const COMMON = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' };

/** Headers of the app's page: it may frame the key manager's origin and nothing else. */
export function appHeaders(keyManagerOrigin: string): Record<string, string> {
  const csp = `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-src ${keyManagerOrigin}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
  return { ...COMMON, 'Content-Security-Policy': csp };
}

/** Headers of the key manager's page: framed only by the app, talking only to itself and the pack servers. */
export function keyManagerHeaders(appOrigins: readonly string[], packOrigins: readonly string[]): Record<string, string> {
  const connect = ["'self'", ...new Set(packOrigins)].join(' ');
  const csp = `default-src 'none'; script-src 'self'; connect-src ${connect}; base-uri 'none'; form-action 'none'; frame-ancestors ${appOrigins.join(' ')}`;
  return { ...COMMON, 'Content-Security-Policy': csp };
}
