// render.js - DOM for entries, the holder panel and the timeline, in a
// given language (the screen uses the page's, the print view one per sheet).
// Text that comes from the card (names, numbers, institutions) is put in
// elements with class "data": it is never looked up in a catalog.

import { t, fmtDate, langName } from './i18n.js';
import { FIELDS, KINDS, kindOf, codeOf } from './vocab.js';

// h('p', {class: 'x'}, 'text', child...) -> element.  Strings become text
// nodes (never HTML), so card data cannot inject markup.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'style') Object.assign(el.style, v); // CSSOM: the CSP forbids style attributes
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const data = (text) => h('span', { class: 'data' }, text);

export function picto(name) {
  return h('img', { class: 'picto', src: `/static/icons/${name}.svg`, alt: '', 'aria-hidden': 'true' });
}

// The holder id in a short, readable form (first 8 hex digits in pairs of
// four): enough to match a card to a person at the desk, not the whole id.
export function shortId(hex) {
  return hex ? `${hex.slice(0, 4)} ${hex.slice(4, 8)}`.toUpperCase() : '';
}

export function typeName(type, lang) {
  return t(`type.${type}`, {}, lang);
}

// One field value as text for the reader of this language.
function fieldValue(name, value, lang) {
  const def = FIELDS[name];
  if (!def) return data(String(value));
  switch (def.kind) {
    case 'enum': {
      if (name === 'test_lang') return data(langName(value, lang));
      const code = codeOf(name, value);
      return code ? data(code) : t(`enum.${name}.${value}`, {}, lang);
    }
    case 'date': return data(fmtDate(value, lang));
    case 'bool': return t(value ? 'ui.yes' : 'ui.no', {}, lang);
    case 'bytes': return data(value.match(/../g).map((b) => parseInt(b, 16)).join(' '));
    default: return data(String(value));
  }
}

// Fields worth a line: zero numbers and false flags are the format's
// "absent" (docs/format.md), so they are left out; so is the card key.
function shownFields(e) {
  return Object.entries(e.fields || {}).filter(([name, v]) => {
    const def = FIELDS[name];
    if (name === 'card_key') return false;
    if (def && def.kind === 'bool' && v === false) return false;
    if (def && def.kind === 'uint' && v === 0) return false;
    return true;
  });
}

export function fieldList(e, lang, skip = []) {
  const dl = h('dl', { class: 'fields' });
  for (const [name, v] of shownFields(e)) {
    if (skip.includes(name)) continue;
    dl.append(h('div', {}, h('dt', {}, t(`field.${name}`, {}, lang)), h('dd', {}, fieldValue(name, v, lang))));
  }
  return dl;
}

// The badge: colour, icon AND words differ, so a verified entry cannot be
// mistaken for another one by someone who does not see colours.
export function badge(e, lang) {
  if (e.verdict === 'valid') {
    return h('p', { class: 'badge ok' }, picto('ok'), t('verdict.valid', {}, lang));
  }
  // A failure to compute is not a forgery: its own words, "tap again".
  if (e.verdict === 'unchecked') {
    return h('p', { class: 'badge warn' }, picto('warn'), t('verdict.unchecked', {}, lang));
  }
  return h('p', { class: 'badge bad' }, picto('bad'), t('verdict.not_verified', {}, lang));
}

export function issuerLine(e, lang) {
  if (e.hidden_issuer) {
    return h('p', { class: 'issuer hidden-issuer' }, t('entry.issuer_hidden', {}, lang));
  }
  if (e.issuer && e.issuer.name) {
    return h('p', { class: 'issuer' }, t('entry.issued_by', {}, lang), ' ', data(e.issuer.name));
  }
  return h('p', { class: 'issuer unknown' }, t('entry.issuer_unknown', {}, lang));
}

// Warnings in plain words: why an entry is not verified, and for a verified
// one whether the trust list it was checked against is out of date.
export function warnings(e, card, lang) {
  const out = [];
  if (e.verdict !== 'valid') {
    // An entry demoted because the trust list expired says so, not "revoked".
    const why = e.trust_expired ? 'why.trust_expired' : `why.${e.verdict}`;
    out.push(h('p', { class: 'warn why' }, picto('warn'), t(why, {}, lang)));
  } else if (e.first_seen_after_revocation) {
    out.push(h('p', { class: 'warn revoked-later' }, picto('warn'), t('why.first_seen_after_revocation', {}, lang)));
  }
  if (e.verdict === 'valid' && card && card.trust_stale) {
    out.push(h('p', { class: 'warn stale' }, picto('warn'), t('why.stale', {}, lang)));
  }
  return out;
}

export function entryCard(e, card, lang, extra = null) {
  const ok = e.verdict === 'valid';
  const cls = ok ? 'is-valid' : e.verdict === 'unchecked' ? 'is-unchecked' : 'is-invalid';
  return h('article', {
    class: `entry ${cls}`,
    'data-type': e.type,
    'data-verdict': e.verdict,
    'data-id': e.id,
  },
  h('header', {},
    h('h4', {}, typeName(e.type, lang), ' ', h('span', { class: 'code data' }, e.type)),
    e.date ? h('time', { datetime: e.date }, data(fmtDate(e.date, lang))) : null),
  badge(e, lang),
  warnings(e, card, lang),
  issuerLine(e, lang),
  fieldList(e, lang),
  extra);
}

// The timeline: one group per kind that has entries, newest first, each
// group headed by its pictogram and name.
export function timeline(entries, card, lang, extra = () => null) {
  const wrap = h('div', { class: 'timeline' });
  for (const kind of KINDS) {
    const list = entries.filter((e) => kind.types.includes(e.type))
      .sort((a, b) => (b.date || '').localeCompare(a.date || ''));
    if (!list.length) continue;
    wrap.append(h('section', { class: `kind kind-${kind.id}`, 'data-kind': kind.id },
      h('h3', {}, picto(`kind-${kind.id}`), t(`kind.${kind.id}`, {}, lang)),
      h('div', { class: 'entries' }, list.map((e) => entryCard(e, card, lang, extra(e))))));
  }
  const others = entries.filter((e) => e.type !== 'REG' && kindOf(e.type) === 'other');
  if (others.length) {
    wrap.append(h('section', { class: 'kind kind-other', 'data-kind': 'other' },
      h('h3', {}, picto('kind-other'), t('kind.other', {}, lang)),
      h('div', { class: 'entries' }, others.map((e) => entryCard(e, card, lang, extra(e))))));
  }
  return wrap;
}

// The holder panel, from the REG entry (name, birth year, evidence level).
// nameId: the id of its heading, which names the panel; each print sheet
// passes its own, as ids must be unique in the page.
export function holderPanel(card, lang, extra = null, nameId = 'holder-name') {
  const reg = (card.entries || []).find((e) => e.type === 'REG');
  const f = (reg && reg.fields) || {};
  const rows = h('dl', { class: 'fields holder-fields' });
  const row = (key, value) => rows.append(h('div', {}, h('dt', {}, t(key, {}, lang)), h('dd', {}, value)));
  row('holder.id', data(shortId(card.holder)));
  if (f.birth_year) row('holder.birth_year', data(String(f.birth_year)));
  if (f.evidence) row('holder.evidence', t(`enum.evidence.${f.evidence}`, {}, lang));
  const panel = h('section', { class: `holder ${reg && reg.verdict === 'valid' ? 'is-valid' : 'is-invalid'}`, 'aria-labelledby': nameId },
    picto('holder'),
    h('div', { class: 'holder-main' },
      h('h2', { id: nameId }, f.name ? data(f.name) : t('holder.no_name', {}, lang)),
      rows,
      reg ? badge(reg, lang) : h('p', { class: 'warn' }, picto('warn'), t('holder.no_reg', {}, lang)),
      reg ? warnings(reg, card, lang) : null,
      reg ? issuerLine(reg, lang) : null,
      reg ? fieldList(reg, lang, ['name', 'birth_year', 'evidence']) : null),
    extra);
  return panel;
}

// "Integration course, 24 November 2026": how a next step names its reasons.
export function fmtEntryRef(e, lang) {
  return `${typeName(e.type, lang)} (${fmtDate(e.date, lang)})`;
}
