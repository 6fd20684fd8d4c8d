// remove.js - delete an entry from the card because the holder asks for it
// (domain.md, privacy 6).  The daemon rewrites the card without the entry
// (POST /api/card/delete); if the card is taken away during the rewrite the
// page offers to put the holder's folder back (POST .../restore), which the
// office cache makes possible.  A protected card is rewritten under a new
// salt with its access code: the form asks for it (sent once, emptied).

import { t } from './i18n.js';
import { h, typeName, fmtEntryRef } from './render.js';
import { deleteEntry } from './api.js';
import { resultLine, showResult } from './form.js';
import { signedOut } from './staff.js';

function resultText(res) {
  if (res.ok) return t('del.ok');
  const code = (res.body && res.body.error && res.body.error.code) || '';
  if (res.body && res.body.restore) return t('del.err.cut');
  if (signedOut(res)) return t('staff.err.signed_out');
  if (code === 'not_found') return t('del.err.gone');
  if (code === 'wrong_code') return t('lock.err.wrong');
  if (code === 'code_typo') return t('lock.err.typo');
  if (code.startsWith('db')) return t('del.err.cache');
  if (code === 'no_card' || code === 'card_removed') return t('form.err.card_removed');
  return t('form.err.other', { code: code || res.status });
}

// Build the form into SECTION for the entries of CARD.  onCut(holder) when a
// rewrite was cut short; onDone() after a delete.
export function buildDeleteForm(section, card, getReader, { onDone, onCut }) {
  const entries = (card && card.entries) || [];
  section.replaceChildren();
  section.hidden = !card || !card.holder || entries.length === 0;
  if (section.hidden) return;
  const select = h('select', { id: 'd-entry', name: 'entry' },
    h('option', { value: '' }, t('form.choose')),
    entries.map((e) => h('option', { value: e.id }, e.date ? fmtEntryRef(e) : typeName(e.type))));
  const confirm = h('input', { id: 'd-confirm', type: 'checkbox' });
  const result = resultLine();
  const submit = h('button', { type: 'submit' }, t('del.submit'));
  const code = card.protected ? h('input', {
    id: 'd-code', name: 'access-code', type: 'text', autocomplete: 'off', autocapitalize: 'characters',
    spellcheck: 'false', dir: 'ltr', class: 'code-input', placeholder: 'XXXX-XXXX-XXXX', maxlength: '20',
  }) : null;
  const form = h('form', { id: 'delete-form', novalidate: true, autocomplete: 'off' },
    h('div', { class: 'form-row' }, h('label', { for: 'd-entry' }, t('del.entry')), select),
    h('div', { class: 'form-row check' }, confirm, h('label', { for: 'd-confirm' }, t('del.confirm'))),
    code ? h('div', { class: 'form-row' }, h('label', { for: 'd-code' }, t('del.code')), code) : null,
    submit, result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!select.value || !confirm.checked) {
      showResult(result, false, t('del.err.confirm'));
      return;
    }
    submit.disabled = true;
    result.className = 'form-result busy';
    result.textContent = t('form.busy');
    const typed = code ? code.value : undefined;
    if (code) code.value = ''; // sent once, then gone from the page
    const res = await deleteEntry(getReader(), select.value, typed);
    submit.disabled = false;
    showResult(result, res.ok, resultText(res));
    if (res.ok) onDone();
    else if (res.body && res.body.restore) onCut(res.body.restore); // cut after the wipe
  });
  section.append(h('h2', {}, t('del.title')), h('p', { class: 'hint' }, t('del.hint')), form);
}
