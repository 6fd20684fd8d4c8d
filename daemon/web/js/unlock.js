// unlock.js - a protected card (format version 2, docs/desk.md): the page
// asks for the access code printed on the card, sends it once to the
// daemon (POST /api/card/unlock, as the signed-in staff member) and forgets it.
// The code field is never saved: autocomplete off, not in sessionStorage
// or localStorage, emptied as soon as it is sent.  A blocked card offers
// the restore onto a new card, with the holder id from the holder's
// recovery line (the card itself does not say whose it is).

import { t } from './i18n.js';
import { h } from './render.js';
import { unlockCard, restoreFolder } from './api.js';
import { resultLine, showResult } from './form.js';
import { signedOut } from './staff.js';

// What the daemon's answer means for the person at the desk.
function resultText(res) {
  const code = (res.body && res.body.error && res.body.error.code) || '';
  if (signedOut(res)) return t('staff.err.signed_out');
  if (code === 'code_typo') return t('lock.err.typo');
  if (code === 'bad_value') return t('lock.err.format');
  if (code === 'wrong_code') {
    const n = res.body.tries_left;
    return typeof n === 'number' ? t('lock.err.tries', { n }) : t('lock.err.wrong');
  }
  if (code === 'blocked') return t('lock.err.blocked');
  if (code === 'unsupported') return t('lock.err.unsupported');
  if (code === 'no_card' || code === 'card_removed') return t('form.err.card_removed');
  return t('form.err.other', { code: code || res.status });
}

// The holder id of a recovery line "LMR1:HOLDER:SECRET" (lm_protect.h), or null.
function holderOfRecovery(text) {
  const m = /^\s*LMR1:([0-9a-fA-F]{32}):[A-Za-z0-9_-]{22}\s*$/.exec(text || '');
  return m ? m[1].toLowerCase() : null;
}

// The restore of a holder's folder onto a blank card on the reader, from
// the recovery line (a blocked card's banner that stays while the cards are
// swapped, or a blank card on the reader: app.js).  The line goes to the
// daemon once and is emptied from the page; onRestored(answer) gets the
// daemon's answer, with the new card's access code.
export function blockedRestoreForm(getReader, onRestored) {
  const line = h('input', {
    id: 'u-recovery', name: 'recovery', autocomplete: 'off', spellcheck: 'false', dir: 'ltr',
  });
  const result = resultLine();
  const form = h('form', { id: 'blocked-restore', novalidate: true },
    h('div', { class: 'form-row' }, h('label', { for: 'u-recovery' }, t('lock.recovery')), line),
    h('button', { type: 'submit', id: 'u-restore', class: 'primary' }, t('del.restore')), result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = line.value.trim();
    const holder = holderOfRecovery(text);
    line.value = ''; // the recovery line opens the holder's backup: not kept either
    if (!holder) {
      showResult(result, false, t('lock.err.recovery'));
      return;
    }
    const res = await restoreFolder(holder, getReader(), { recovery: text });
    if (res.ok) { onRestored(res.body); return; }
    const code = (res.body && res.body.error && res.body.error.code) || res.status;
    showResult(result, false, signedOut(res) ? t('staff.err.signed_out')
      : code === 'not_blank' ? t('restore.err.not_blank')
        : code === 'forbidden' ? t('restore.err.role')
          : t('form.err.other', { code }));
  });
  return form;
}

// Build the code prompt into SECTION for the locked CARD (or hide it).
// onOpen(view): the card was opened; onBlocked(): the card refuses every
// code now (the page offers the restore onto a new card).
export function buildUnlockForm(section, card, getReader, { onOpen, onBlocked }) {
  section.replaceChildren();
  section.hidden = !(card && card.protected && card.locked);
  if (section.hidden) return;
  const input = h('input', {
    id: 'u-code', name: 'access-code', type: 'text', autocomplete: 'off', autocapitalize: 'characters',
    spellcheck: 'false', dir: 'ltr', class: 'code-input', placeholder: 'XXXX-XXXX-XXXX',
    maxlength: '20', 'aria-describedby': 'u-hint',
  });
  const result = resultLine();
  result.id = 'u-result';
  const submit = h('button', { type: 'submit', id: 'u-submit', class: 'primary' }, t('lock.submit'));
  const form = h('form', { id: 'unlock-form', novalidate: true, autocomplete: 'off' },
    h('div', { class: 'form-row' }, h('label', { for: 'u-code' }, t('lock.code')), input),
    submit, result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const code = input.value;
    input.value = ''; // sent once, then gone from the page
    submit.disabled = true;
    result.className = 'form-result busy';
    result.textContent = t('form.busy');
    const res = await unlockCard(getReader(), code);
    submit.disabled = false;
    if (res.ok) {
      result.textContent = '';
      onOpen(res.body);
      return;
    }
    showResult(result, false, resultText(res));
    if (res.body && res.body.error && res.body.error.code === 'blocked') onBlocked();
    else input.focus();
  });
  section.append(
    h('h2', { id: 'lock-title' }, t('lock.title')),
    h('p', { class: 'hint', id: 'u-hint' }, t('lock.text')),
    form);
  input.focus();
}
