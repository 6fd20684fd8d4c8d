// form.js - append an entry to the card on the reader, signed by this
// terminal's key (the daemon signs; the page only says what to sign).
// The inputs are generated from vocab.js, so they use entry.c's names.

import { t, langName } from './i18n.js';
import { FIELDS, TYPES, codeOf } from './vocab.js';
import { h } from './render.js';
import { appendEntry } from './api.js';
import { signedOut } from './staff.js';

// Appointment-like entries first: they are what a desk issues most.
const FIRST = ['BER', 'MENT'];

export function formTypes(status) {
  if (!status || !status.can_write) return [];
  const allowed = (status.allowed_types || []).filter((ty) => TYPES[ty] && ty !== 'REG');
  return [...FIRST.filter((ty) => allowed.includes(ty)), ...allowed.filter((ty) => !FIRST.includes(ty))];
}

const today = () => new Date().toISOString().slice(0, 10);

// Where a form says how its write went.
export const resultLine = () => h('p', { class: 'form-result', role: 'status', 'aria-live': 'polite' });

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
    case 'date': input = h('input', { id, name, type: 'date' }); break;
    case 'text': input = h('input', { id, name, type: 'text', maxlength: def.max }); break;
    default: return null; // bytes (ratings, card keys) are not typed in at a desk
  }
  return h('div', { class: `form-row ${def.kind === 'bool' ? 'check' : ''}` },
    h('label', { for: id }, t(`field.${name}`)), input);
}

function collect(form, type) {
  const fields = {};
  for (const name of TYPES[type]) {
    const el = form.elements.namedItem(name);
    if (!el) continue;
    const def = FIELDS[name];
    if (def.kind === 'bool') { if (el.checked) fields[name] = true; continue; }
    if (el.value === '') continue; // absent: the format's zero
    fields[name] = def.kind === 'uint' ? Number(el.value) : el.value;
  }
  return { type, date: form.elements.namedItem('date').value, fields };
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
    h('div', { class: 'form-row' }, h('label', { for: 'f-date' }, t('form.date')),
      h('input', { id: 'f-date', name: 'date', type: 'date', value: today(), required: true })),
    fieldsBox,
    submit, result);
  fillFields();

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    result.className = 'form-result busy';
    result.textContent = t('form.busy');
    const res = await appendEntry(getReader(), collect(form, typeSel.value));
    const msg = resultMessage(res);
    result.className = `form-result ${msg.ok ? 'ok' : 'bad'}`;
    result.textContent = msg.text;
    submit.disabled = false;
    if (msg.ok) onWritten(res.body.entry);
  });

  section.append(h('h2', {}, t('form.title')), h('p', { class: 'hint' }, t('form.hint')), form);
}
