// app.js - the desk page: waits for a tap (server-sent events), then shows
// the folder at a glance, what comes next, and the append form.

import { LANGS, setLang, t, currentLang, fmtTime, translateTree } from './i18n.js';
import { getStatus, getVocab, getReaders, getCard, restoreFolder, listen } from './api.js';
import { loadVocab } from './vocab.js';
import { h, data, picto, typeName, fmtEntryRef, timeline, holderPanel } from './render.js';
import { nextSteps } from './rules.js';
import { buildForm } from './form.js';
import { buildStaff } from './staff.js';
import { buildDeleteForm } from './remove.js';
import { buildUnlockForm, blockedRestoreForm } from './unlock.js';
import { buildProtectForm, secretsBox } from './protect.js';
import { openPrintView, closePrintView } from './print.js';
import { announce } from './live.js';

const $ = (id) => document.getElementById(id);

const state = {
  status: null,   // /api/status
  rules: { rules: [] },
  reader: null,   // the reader the shown card is on
  card: null,     // /api/card, or null when no card is shown
  reads: null,    // this office's read log of the shown holder, or null
  restoreFor: null, // a holder whose card's rewrite was cut short
  blocked: false, // a protected card refused every code: offer the restore
  // The access code and recovery line this desk made a moment ago for the
  // holder on the reader ({holder, code, recovery}): in this variable only,
  // never in any browser storage; gone when the card leaves (unless a cut
  // protect still needs them for its restore) or another holder's comes.
  secrets: null,
  blank: false,   // a blank card lies on the reader: offer the restore from a recovery line
  notice: null,   // {key, vars, kind} a banner about the last event
};

async function loadRules() {
  // no-cache: an office updates this file in place (it is data, not code).
  const res = await fetch('/static/rules/next-steps.json', { cache: 'no-cache' });
  if (res.ok) state.rules = await res.json();
}

// What a tap says aloud: whose card, how many entries, how many failed.
function announceCard(card) {
  if (card.protected && card.locked) { announce(t('lock.title')); return; }
  if (!card.holder) return;
  const entries = card.entries || [];
  const reg = entries.find((e) => e.type === 'REG');
  const name = (reg && reg.fields && reg.fields.name) || t('holder.no_name');
  announce(t('live.tap', { name, n: entries.length, bad: entries.filter((e) => e.verdict !== 'valid').length }));
}

// tapped: a new card (announced), not a reload after a write.
async function loadCard(reader, tapped = false) {
  try {
    const card = await getCard(reader);
    state.card = card;
    state.reader = card.reader || reader || null;
    // A sticky notice (a delete's outcome) outlives the reload that the
    // daemon's "written" event triggers; a new tap or removal ends it.
    if (!(state.notice && state.notice.sticky)) state.notice = null;
    // The holder may see who read the card here (domain.md, privacy 6).
    // It comes with the card, from the tap's own transaction (null: cache down).
    state.reads = card.holder ? card.reads ?? null : null;
    if (card.holder) state.blocked = false; // a readable card: the restore is done
    if (tapped) announceCard(card);
    if (state.secrets && (card.holder || card.locked) && card.holder !== state.secrets.holder &&
        !state.restoreFor) state.secrets = null; // another holder's card
  } catch (e) {
    state.card = null;
    state.notice = { key: errorKey(e.code), vars: { code: e.code }, kind: 'bad' };
  }
  render();
}

function errorKey(code) {
  const known = ['card_removed', 'no_card', 'no_reader', 'reader_busy', 'unknown_card',
    'not_formatted', 'timeout', 'no_service', 'card_reset', 'reader_gone'];
  return known.includes(code) ? `error.${code}` : 'error.other';
}

function renderTerminal() {
  const s = state.status;
  const el = $('terminal');
  if (!s) { el.replaceChildren(); return; }
  el.replaceChildren(data(s.institution || ''), ' · ', t(`role.${s.role}`));
  const banners = [];
  if (s.trust && s.trust.expired) {
    banners.push(h('p', { class: 'banner bad', id: 'trust-expired' }, picto('bad'),
      t('banner.trust_expired', { date: s.trust.next_update || '' })));
  } else if (s.trust && s.trust.stale) {
    banners.push(h('p', { class: 'banner warn', id: 'trust-stale' }, picto('warn'),
      t('banner.trust_stale', { date: s.trust.next_update || '' })));
  }
  const refused = s.trust && s.trust.refused;
  if (refused) {
    const key = refused.code === 'trust_swapped' ? 'banner.trust_swapped' : 'banner.trust_rollback';
    banners.push(h('p', { class: 'banner bad', id: 'trust-refused' }, picto('bad'),
      t(key, { version: refused.version })));
  }
  // The city's folder vault (only with a vault line): a tap never waits for
  // it, but the page says when the outbox cannot drain.
  if (s.vault && !s.vault.reachable) {
    banners.push(h('p', { class: 'banner warn', id: 'vault-down' }, picto('warn'),
      t('banner.vault_down', { n: s.vault.outbox ?? '?', code: s.vault.error || '' })));
  } else if (s.vault) {
    el.append(' · ', h('span', { id: 'vault-ok' }, t('vault.ok', {
      n: s.vault.outbox ?? '?',
      time: s.vault.last_sync ? fmtTime(new Date(s.vault.last_sync * 1000).toISOString()) : '–',
      version: s.trust ? s.trust.version : '?',
    })));
  }
  if (s.cache && !s.cache.ok) {
    banners.push(h('p', { class: 'banner bad', id: 'cache-broken' }, picto('bad'),
      t('banner.cache_broken', { code: s.cache.error || '' })));
  }
  return banners;
}

let lastNotice = null; // the notice last said aloud

function renderBanners() {
  const list = renderTerminal() || [];
  const c = state.card;
  if (c && c.error) {
    // A card pulled away mid-read: what we show may be incomplete.
    list.push(h('p', { class: 'banner bad', id: 'card-error' }, picto('bad'),
      t(c.error.code === 'card_removed' ? 'banner.pulled_early' : errorKey(c.error.code),
        { code: c.error.code })));
  }
  if (c && c.cache_error && !(state.status && state.status.cache && !state.status.cache.ok)) {
    list.push(h('p', { class: 'banner warn', id: 'cache-not-stored' }, picto('warn'),
      t('banner.cache_not_stored', { code: c.cache_error })));
  }
  if (state.restoreFor) {
    // A delete cut short: the office cache holds every entry that stays.
    list.push(h('div', { class: 'banner bad', id: 'restore-banner' }, picto('bad'),
      h('p', {}, t(state.secrets && state.secrets.holder === state.restoreFor ? 'prot.err.cut' : 'del.err.cut')),
      h('button', { type: 'button', id: 'restore-btn', class: 'primary', onclick: restore }, t('del.restore'))));
  }
  if (state.blocked) {
    // A blocked protected card: a new card, and the folder from this office's
    // copy, found by the holder id of the holder's recovery line.
    list.push(h('div', { class: 'banner bad', id: 'blocked-banner' }, picto('bad'),
      h('p', {}, t('lock.err.blocked')),
      blockedRestoreForm(() => state.reader, restoredFromLine)));
  } else if (state.blank) {
    // A blank card: a holder who brings the printed copy gets the folder back.
    list.push(h('div', { class: 'banner info', id: 'blank-banner' }, picto('card'),
      h('p', {}, t('restore.blank')),
      blockedRestoreForm(() => state.reader, restoredFromLine)));
  }
  if (state.notice && state.notice !== lastNotice) {
    announce(t(state.notice.key, state.notice.vars || {}), state.notice.kind === 'bad');
  }
  lastNotice = state.notice;
  if (state.secrets) {
    const c2 = state.card;
    const shown = c2 && c2.holder === state.secrets.holder;
    list.push(secretsBox(state.secrets, shown ? printView : null));
  }
  if (state.notice) {
    list.push(h('p', { class: `banner ${state.notice.kind}` }, picto(state.notice.kind === 'bad' ? 'bad' : 'card'),
      t(state.notice.key, state.notice.vars || {})));
  }
  $('banners').replaceChildren(...list);
}

function renderNext(card) {
  const steps = nextSteps(state.rules, card.entries || [], card.read_at ? new Date(card.read_at) : new Date());
  const list = $('next-list');
  list.replaceChildren();
  $('next-none').hidden = steps.length > 0;
  for (const s of steps) {
    const because = [
      ...s.entries.map((e) => fmtEntryRef(e)),
      ...s.absent.map((ty) => t('next.absent', { type: typeName(ty) })),
    ];
    list.append(h('li', { 'data-rule': s.id },
      h('p', { class: 'step' }, picto('next'), t(s.suggest)),
      h('p', { class: 'because' }, t('next.because'), ' ', because.join(' · '),
        ' ', h('span', { class: 'rule-id data' }, `(${s.id}, v${state.rules.version})`))));
  }
}

// A folder restored from the recovery line: the new card's access code is
// shown once (for its sticker and the holder's copy), never stored.
async function restoredFromLine(body) {
  state.blocked = false;
  state.blank = false;
  await loadCard(state.reader);
  const vars = { n: body.written, v: body.from_vault || 0, code: body.access_code || '' };
  state.notice = body.access_code
    ? { key: { unreachable: 'restore.done_no_vault', ok: 'restore.done' }[body.vault] || 'restore.done_local', vars, kind: 'info', sticky: true }
    : { key: 'del.restored', vars, kind: 'info', sticky: true };
  render();
}

async function restore() {
  // A protect cut short: the folder goes back on protected, with the code
  // and recovery line that protect made (the card may hold them already).
  const s = state.secrets && state.secrets.holder === state.restoreFor ? state.secrets : null;
  const res = await restoreFolder(state.restoreFor, state.reader, s ? { code: s.code, recovery: s.recovery } : {});
  if (res.ok) {
    state.restoreFor = null;
    await loadCard(state.reader);
    state.notice = { key: 'del.restored', vars: { n: res.body.written }, kind: 'info', sticky: true };
  } else {
    state.notice = { key: errorKey((res.body && res.body.error && res.body.error.code) || ''), kind: 'bad' };
  }
  render();
}

// This office's read log of the holder: the latest first, the retention said.
const READS_SHOWN = 10;
function renderReads() {
  const list = $('reads-list');
  const reads = state.reads;
  if (!reads) {
    list.replaceChildren(h('li', { class: 'unavailable' }, t('reads.unavailable')));
  } else {
    const latest = reads.slice(-READS_SHOWN).reverse();
    list.replaceChildren(...latest.map((r) => h('li', {},
      h('time', { datetime: r.time }, data(fmtTime(r.time))), ' · ', t(`role.${r.role}`))));
    if (reads.length > READS_SHOWN) list.append(h('li', { class: 'more' }, t('reads.more', { n: reads.length - READS_SHOWN })));
  }
  const days = state.status && state.status.read_log_days;
  $('reads-note').replaceChildren(t('reads.note', { days: days ?? '?' }));
}

function render() {
  renderBanners();
  const card = state.card;
  // A protected card before its code: the prompt, nothing of the folder.
  const locked = !!(card && card.protected && card.locked);
  const waiting = locked || !card || (!card.holder && !(card.entries || []).length);
  $('waiting').hidden = !waiting || locked;
  $('folder').hidden = waiting;
  buildUnlockForm($('locked'), locked ? card : null, () => state.reader, {
    onOpen: () => loadCard(state.reader),
    onBlocked: () => { state.blocked = true; renderBanners(); },
  });
  buildDeleteForm($('remove'), waiting ? null : card, () => state.reader, {
    onDone: async () => {
      await loadCard(state.reader);
      state.notice = { key: 'del.ok', kind: 'info', sticky: true };
      render();
    },
    onCut: (holder) => { state.restoreFor = holder; render(); },
  });
  buildProtectForm($('protect'), waiting ? null : card, () => state.reader, {
    onDone: async (secrets, kept) => {
      state.secrets = secrets;
      await loadCard(state.reader);
      state.notice = { key: 'prot.done', vars: { n: kept ?? 0 }, kind: 'info', sticky: true };
      render();
    },
    onCut: (secrets, holder) => {
      if (secrets) state.secrets = secrets;
      state.restoreFor = holder;
      render();
    },
  });
  if (waiting) {
    // Privacy: without the card nothing of the folder stays in the page.
    for (const id of ['holder-slot', 'read-line', 'next-list', 'timeline-slot', 'reads-list', 'reads-note']) {
      $(id).replaceChildren();
    }
    state.reads = null;
    return;
  }

  $('holder-slot').replaceChildren(holderPanel(card, currentLang()));
  const readLine = $('read-line');
  readLine.replaceChildren(t('card.read_at', { time: fmtTime(card.read_at) }), ' · ',
    t('card.used', { used: card.used ?? '?', capacity: card.capacity ?? '?' }));
  const hidden = $('hidden-note');
  hidden.hidden = !(card.hidden > 0);
  hidden.replaceChildren(picto('hidden'), t('card.hidden', { n: card.hidden || 0 }));

  renderNext(card);
  renderReads();

  const entries = (card.entries || []).filter((e) => e.type !== 'REG');
  $('timeline-slot').replaceChildren(entries.length
    ? timeline(entries, card, currentLang())
    : h('p', { class: 'empty' }, t('entries.none')));
}

// The holder's paper copy; with the code and recovery line when this desk
// has just made them for this holder.
// The print view takes the screen's place: focus goes into it, and back
// to the button when it closes (its button or Escape).
const closePrint = () => { closePrintView($('print-view')); $('print-btn').focus(); };
function printView() {
  if (state.card) openPrintView($('print-view'), state.card, closePrint, state.secrets);
}

async function switchLang(code) {
  await setLang(code);
  renderAll();
}

// Resolves when the staff panel knows who is signed in.
function renderAll() {
  translateTree(document);
  const staff = buildStaff($('staff'));
  buildForm($('append'), state.status, () => state.reader, async () => {
    await loadCard(state.reader);
  });
  render();
  return staff;
}

async function onTap(ev) {
  closePrintView($('print-view'));
  state.notice = null;
  state.blank = false;
  // The page stays open all day: the trust list may have been reloaded
  // (SIGHUP) or gone out of date since it was opened.
  try { state.status = await getStatus(); } catch { /* keep the last one */ }
  await loadVocab(getVocab); // when the page opened before the daemon answered
  loadCard(ev.reader, true);
}

function onRemoved(ev) {
  if (state.reader && ev.reader && ev.reader !== state.reader) return;
  // Privacy: the folder is shown only while its holder is at the desk.
  closePrintView($('print-view'));
  state.card = null;
  if (!state.restoreFor) state.secrets = null; // the code leaves with the card
  state.blank = false;
  // A read cut short keeps its message: the holder has to tap again.
  if (!state.notice || state.notice.key !== 'error.card_removed') {
    state.notice = { key: 'notice.removed', kind: 'info' };
  }
  render();
  buildForm($('append'), state.status, () => state.reader, () => loadCard(state.reader));
}

function onError(ev) {
  state.notice = { key: errorKey(ev.code), vars: { code: ev.code }, kind: 'bad' };
  state.blank = ev.code === 'not_formatted'; // a blank card: the restore form
  render();
}

async function init() {
  const select = $('lang');
  select.replaceChildren(...LANGS.map((l) => h('option', { value: l.code, lang: l.code }, l.name)));
  let lang = 'de';
  try { lang = new URLSearchParams(location.search).get('lang') || localStorage.getItem('lm-lang') || 'de'; } catch { /* */ }
  await setLang(lang);
  select.value = currentLang();
  select.addEventListener('change', () => switchLang(select.value));

  $('print-btn').addEventListener('click', printView);
  $('print-view').addEventListener('keydown', (ev) => { if (ev.key === 'Escape') closePrint(); });

  await loadRules().catch(() => {});
  await loadVocab(getVocab); // the library's vocabulary, before anything is drawn
  try { state.status = await getStatus(); } catch { state.status = null; }
  await renderAll();

  window.addEventListener('lm-signed-out', () => buildStaff($('staff')));
  // The vault's state (and the trust list's) while the page stays open.
  setInterval(async () => {
    try { state.status = await getStatus(); } catch { return; }
    // An open restore form keeps what is being typed into it.
    if (!state.blank && !state.blocked && !state.restoreFor) renderBanners();
  }, 30000);

  listen({ tap: onTap, locked: onTap, removed: onRemoved, error: onError, written: (ev) => loadCard(ev.reader || state.reader) });

  // A card may already lie on a reader when the page opens.
  try {
    const readers = await getReaders();
    const withCard = readers.find((r) => r.state === 'card' || r.state === 'locked');
    if (withCard) await loadCard(withCard.name, true);
  } catch { /* the daemon may still be starting; the tap event will come */ }
  document.body.dataset.ready = '1'; // tests wait for this
}

init();
