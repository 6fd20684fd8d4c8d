// form.js - append an entry to the card on the reader, signed by this
// terminal's key (the daemon signs; the page only says what to sign).
// The inputs are generated from vocab.js, so they use entry.c's names.

import { t, langName, fmtDate, parseDate, todayIso } from './i18n.js';
import { FIELDS, TYPES, codeOf } from './vocab.js';
import { h } from './render.js';
import { appendEntry } from './api.js';
import { signedOut } from './staff.js';
import { announce } from './live.js';

// Appointment-like entries first: they are what a desk issues most.
const FIRST = ['BER', 'MENT'];

export function formTypes(status) {
  if (!status || !status.can_write) return [];
  const allowed = (status.allowed_types || []).filter((ty) => TYPES[ty] && ty !== 'REG');
  return [...FIRST.filter((ty) => allowed.includes(ty)), ...allowed.filter((ty) => !FIRST.includes(ty))];
}

// Where a form says how its write went (on screen; live.js says it aloud).
export const resultLine = () => h('p', { class: 'form-result' });

// Show a write's answer in its result line and have it announced.
export function showResult(line, ok, text) {
  line.className = `form-result ${ok ? 'ok' : 'bad'}`;
  line.textContent = text;
  announce(text, !ok);
}

// Any digit the page's languages write, and the separators a date takes.
const DATE_RE = '\\s*[0-9\u0660-\u0669\u06f0-\u06f9]{1,4}(?:\u200f?[.\\/\\- ]\u200f?[0-9\u0660-\u0669\u06f0-\u06f9]{1,4}){2}\\s*';

// A date typed in the page's language (date.pattern: TT.MM.JJJJ on the
// German page), not <input type=date>, which shows the browser's locale
// (mm/dd/yyyy) whatever the page's language is.  The label says the format;
// parseDate turns the text into the ISO date the API takes.
export function dateRow(id, name, label, iso = '') {
  const fmt = t('date.placeholder');
  return h('div', { class: 'form-row' },
    h('label', { for: id }, label, ' ', h('span', { class: 'date-format' }, `(${fmt})`)),
    h('input', {
      id, name, type: 'text', inputmode: 'numeric', autocomplete: 'off', spellcheck: 'false',
      placeholder: fmt, pattern: DATE_RE, 'data-date': '', value: iso ? fmtDate(iso) : '',
    }));
}

// CEFR levels and exam names are codes in every language; languages are
// named by the browser; everything else comes from the catalogs.
function enumLabel(name, v) {
  if (name === 'test_lang') return langName(v);
  return codeOf(name, v) || t(`enum.${name}.${v}`);
}

function fieldInput(name) {
  const def = FIELDS[name];
  const id = `f-${name}`;
  let input;
  switch (def.kind) {
    case 'enum':
      input = h('select', { id, name },
        h('option', { value: '' }, t('form.choose')),
        def.values.map((v) => h('option', { value: v }, enumLabel(name, v))));
      break;
    case 'uint': input = h('input', { id, name, type: 'number', min: 0, max: def.max, inputmode: 'numeric' }); break;
    case 'bool': input = h('input', { id, name, type: 'checkbox' }); break;
    case 'date': return dateRow(id, name, t(`field.${name}`));
    case 'text': input = h('input', { id, name, type: 'text', maxlength: def.max }); break;
    default: return null; // bytes (ratings, card keys) are not typed in at a desk
  }
  return h('div', { class: `form-row ${def.kind === 'bool' ? 'check' : ''}` },
    h('label', { for: id }, t(`field.${name}`)), input);
}

// The entry the form describes, or {bad: input} for a date not understood.
function collect(form, type) {
  const fields = {};
  const dateOf = (el) => {
    const iso = parseDate(el.value);
    el.setAttribute('aria-invalid', iso ? 'false' : 'true');
    return iso;
  };
  for (const name of TYPES[type]) {
    const el = form.elements.namedItem(name);
    if (!el) continue;
    const def = FIELDS[name];
    if (def.kind === 'bool') { if (el.checked) fields[name] = true; continue; }
    if (el.value.trim() === '') continue; // absent: the format's zero
    if (def.kind === 'date') {
      fields[name] = dateOf(el);
      if (!fields[name]) return { bad: el };
      continue;
    }
    fields[name] = def.kind === 'uint' ? Number(el.value) : el.value;
  }
  const date = form.elements.namedItem('date');
  if (!dateOf(date)) return { bad: date };
  return { entry: { type, date: parseDate(date.value), fields } };
}

// Known answers in plain words; anything else shows the daemon's code.
function resultMessage(res) {
  if (res.ok) return { ok: true, text: t('form.ok') };
  if (signedOut(res)) return { ok: false, text: t('staff.err.signed_out') };
  const code = (res.body && res.body.error && res.body.error.code) || '';
  const known = {
    card_full: 'form.err.card_full', card_removed: 'form.err.card_removed',
    no_card: 'form.err.no_card', unauthorized: 'form.err.unauthorized',
    forbidden: 'form.err.forbidden', readback: 'form.err.readback', network: 'form.err.network',
  };
  let key = known[code];
  if (!key && res.status === 401) key = 'form.err.unauthorized';
  if (!key && res.status === 403) key = 'form.err.forbidden';
  if (!key && res.status === 409) key = 'form.err.card_full';
  if (!key && res.status === 503) key = 'form.err.card_removed';
  return { ok: false, text: key ? t(key) : t('form.err.other', { code: code || res.status }) };
}

// Build the form into `section`; onWritten(entry) after a confirmed write.
export function buildForm(section, status, getReader, onWritten) {
  const types = formTypes(status);
  section.replaceChildren();
  section.hidden = types.length === 0;
  if (!types.length) return; // a role that may not write sees no form at all

  const fieldsBox = h('div', { class: 'form-fields' });
  const typeSel = h('select', { id: 'f-type', name: 'type' },
    types.map((ty) => h('option', { value: ty }, t(`type.${ty}`))));
  const result = resultLine();
  const submit = h('button', { type: 'submit', class: 'primary' }, t('form.submit'));

  const fillFields = () => fieldsBox.replaceChildren(...TYPES[typeSel.value].map(fieldInput).filter(Boolean));
  typeSel.addEventListener('change', fillFields);

  const form = h('form', { id: 'append-form', novalidate: true },
    h('div', { class: 'form-row' }, h('label', { for: 'f-type' }, t('form.type')), typeSel),
    dateRow('f-date', 'date', t('form.date'), todayIso()),
    fieldsBox,
    submit, result);
  fillFields();

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const { entry, bad } = collect(form, typeSel.value);
    if (bad) {
      showResult(result, false, t('form.err.date', { pattern: t('date.placeholder') }));
      bad.focus();
      return;
    }
    submit.disabled = true;
    result.className = 'form-result busy';
    result.textContent = t('form.busy');
    const res = await appendEntry(getReader(), entry);
    const msg = resultMessage(res);
    showResult(result, msg.ok, msg.text);
    submit.disabled = false;
    if (msg.ok) onWritten(res.body.entry);
  });

  section.append(h('h2', {}, t('form.title')), h('p', { class: 'hint' }, t('form.hint')), form);
}
