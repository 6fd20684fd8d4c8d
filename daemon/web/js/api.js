// api.js - the daemon's HTTP API (docs/api.md), on the same origin.

async function getJson(path) {
  const res = await fetch(path, { headers: { Accept: 'application/json' } });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error((body && body.error && body.error.message) || `HTTP ${res.status}`);
    err.code = (body && body.error && body.error.code) || `http_${res.status}`;
    throw err;
  }
  return body;
}

export const getStatus = () => getJson('/api/status');
export const getVocab = () => getJson('/api/vocab');
export const getReaders = () => getJson('/api/readers');
// A holder's folder in this office's cache, with its read log.
export const getCard = (reader) =>
  getJson(reader ? `/api/card?reader=${encodeURIComponent(reader)}` : '/api/card');

// A write as the signed-in staff member (the session cookie, sent by the
// browser with the page's Origin); resolves to {ok, status, body}.  Never
// throws on an HTTP error: the forms turn every answer into a message.
async function postJson(path, payload, method = 'POST') {
  let res;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
  } catch (e) {
    return { ok: false, status: 0, body: { error: { code: 'network', message: String(e) } } };
  }
  const body = await res.json().catch(() => ({}));
  return { ok: res.ok, status: res.status, body };
}

// Staff sessions: who is signed in, sign in with name and PIN, sign out.
export const getSession = () => getJson('/api/session');
export const signIn = (name, pin) => postJson('/api/session', { name, pin });
export const signOut = () => postJson('/api/session', undefined, 'DELETE');

export const appendEntry = (reader, entry) => postJson('/api/card/append', { reader, entry });
// Open a protected card with the holder's access code (sent once; the
// daemon keeps only the keys, while the card lies on the reader).
export const unlockCard = (reader, code) =>
  postJson('/api/card/unlock', reader ? { reader, code } : { code });
// Delete an entry at the holder's request (the card is rewritten; a
// protected card with its access code).
export const deleteEntry = (reader, id, code) =>
  postJson('/api/card/delete', code ? { reader, id, code } : { reader, id });
// Put the holder's folder back onto a card.  extra: nothing (the cached
// folder onto a blank or short card), {code, recovery} (a protect cut
// short: the holder's card, protected with the code protect made), or
// {recovery} alone (a protected folder from this office's cache and the
// city's vault onto a blank card; the answer carries a new access code,
// once).
export const restoreFolder = (holder, reader, extra = {}) =>
  postJson(`/api/holders/${encodeURIComponent(holder)}/restore`, { reader, ...extra });
// Protect the open version 1 card (the holder present): the answer carries
// the new access code and recovery line, once.
export const protectCard = (reader) => postJson('/api/card/protect', reader ? { reader } : {});

// The QR code (an SVG made by daemon/qr.c) for one entry on a holder's
// card: its text is "LM1:" holder-hex ":" base64url(entry bytes).
export const qrUrl = (holder, id) =>
  `/api/qr?holder=${encodeURIComponent(holder)}&id=${encodeURIComponent(id)}`;

// Server-sent events: tap, locked (a protected card), removed, error, written.  EventSource reconnects
// by itself when the daemon restarts.
export function listen(handlers) {
  const es = new EventSource('/api/events');
  for (const [name, fn] of Object.entries(handlers)) {
    es.addEventListener(name, (ev) => {
      let data = {};
      try { data = JSON.parse(ev.data || '{}'); } catch { /* keep {} */ }
      fn(data);
    });
  }
  return es;
}
