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

// A write with the terminal's token; resolves to {ok, status, body}.  Never
// throws on an HTTP error: the forms turn every answer into a message.
async function postJson(path, payload, token) {
  let res;
  try {
    res = await fetch(path, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${token}`,
      },
      body: JSON.stringify(payload),
    });
  } catch (e) {
    return { ok: false, status: 0, body: { error: { code: 'network', message: String(e) } } };
  }
  const body = await res.json().catch(() => ({}));
  return { ok: res.ok, status: res.status, body };
}

export const appendEntry = (reader, entry, token) => postJson('/api/card/append', { reader, entry }, token);
// Open a protected card with the holder's access code (sent once; the
// daemon keeps only the keys, while the card lies on the reader).
export const unlockCard = (reader, code, token) =>
  postJson('/api/card/unlock', reader ? { reader, code } : { code }, token);
// Delete an entry at the holder's request (the card is rewritten; a
// protected card with its access code).
export const deleteEntry = (reader, id, token, code) =>
  postJson('/api/card/delete', code ? { reader, id, code } : { reader, id }, token);
// Put the holder's cached folder back onto the card (blank or short).  With
// the holder's recovery line: a protected folder, from this office's cache
// and the city's vault, onto a blank card; the answer carries the new
// access code, once.
export const restoreFolder = (holder, reader, token, recovery) =>
  postJson(`/api/holders/${encodeURIComponent(holder)}/restore`,
    recovery ? { reader, recovery } : { reader }, token);

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
