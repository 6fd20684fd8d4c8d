// protect.js - protect an open version 1 card with an access code, the
// holder present (POST /api/card/protect, docs/desk.md).  The daemon makes
// the code and the holder's recovery line and sends them once; the page
// shows them once and keeps them in this module's caller's memory only
// (app.js: never in localStorage, sessionStorage, IndexedDB or cookies),
// for the print view and for the restore after a cut, until the card
// leaves the reader.

import { t } from './i18n.js';
import { h, data, picto } from './render.js';
import { protectCard } from './api.js';
import { resultLine, showResult } from './form.js';
import { signedOut } from './staff.js';

function resultText(res) {
  const code = (res.body && res.body.error && res.body.error.code) || '';
  if (res.body && res.body.restore) return t('prot.err.cut');
  if (signedOut(res)) return t('staff.err.signed_out');
  if (code === 'protected') return t('prot.err.protected');
  if (code.startsWith('db')) return t('prot.err.cache');
  if (code === 'no_card' || code === 'card_removed') return t('form.err.card_removed');
  return t('form.err.other', { code: code || res.status });
}

// Build the form into SECTION for an open, unprotected CARD (or hide it).
// onDone(secrets, kept) after the card was protected; onCut(secrets, holder)
// when the rewrite was cut short after the wipe (secrets may be null when
// the daemon had not made them yet).  secrets: {holder, code, recovery}.
export function buildProtectForm(section, card, getReader, { onDone, onCut }) {
  section.replaceChildren();
  section.hidden = !card || !card.holder || card.protected !== false;
  if (section.hidden) return;
  const confirm = h('input', { id: 'p-confirm', type: 'checkbox' });
  const result = resultLine();
  result.id = 'p-result';
  const submit = h('button', { type: 'submit', id: 'p-submit' }, picto('lock'), t('prot.submit'));
  const form = h('form', { id: 'protect-form', novalidate: true, autocomplete: 'off' },
    h('div', { class: 'form-row check' }, confirm, h('label', { for: 'p-confirm' }, t('prot.confirm'))),
    submit, result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!confirm.checked) {
      showResult(result, false, t('prot.err.confirm'));
      return;
    }
    submit.disabled = true;
    result.className = 'form-result busy';
    result.textContent = t('form.busy');
    const holder = card.holder;
    const res = await protectCard(getReader());
    submit.disabled = false;
    const b = res.body || {};
    const secrets = b.code && b.recovery ? { holder: b.restore || holder, code: b.code, recovery: b.recovery } : null;
    if (res.ok && secrets) { onDone(secrets, b.kept); return; }
    showResult(result, false, resultText(res));
    if (b.restore) onCut(secrets, b.restore);
  });
  section.append(h('h2', {}, t('prot.title')), h('p', { class: 'hint' }, t('prot.hint')), form);
}

// The code and recovery line on the screen, once (a box over the page
// while the holder is here); onPrint opens the holder's copy, or null
// while no card is shown.
export function secretsBox(secrets, onPrint) {
  return h('div', { class: 'banner info secrets', id: 'secrets-box' },
    h('p', { class: 'once' }, picto('card'), t('prot.once')),
    h('dl', {},
      h('dt', {}, t('prot.code')),
      h('dd', { id: 'secret-code', class: 'code-text', dir: 'ltr' }, data(secrets.code)),
      h('dt', {}, t('prot.recovery')),
      h('dd', { id: 'secret-recovery', class: 'recovery-text', dir: 'ltr' }, data(secrets.recovery))),
    onPrint ? h('button', { type: 'button', id: 'secrets-print', class: 'primary', onclick: onPrint },
      picto('print'), t('prot.print')) : null);
}

// The same on each printed sheet, in the sheet's language.
export function secretsSheet(secrets, lang) {
  return h('section', { class: 'sheet-secrets' },
    h('h2', {}, t('print.secret_title', {}, lang)),
    h('dl', {},
      h('dt', {}, t('prot.code', {}, lang)),
      h('dd', { class: 'code-text', dir: 'ltr' }, data(secrets.code)),
      h('dt', {}, t('prot.recovery', {}, lang)),
      h('dd', { class: 'recovery-text', dir: 'ltr' }, data(secrets.recovery))),
    h('p', {}, t('print.secret_text', {}, lang)));
}
