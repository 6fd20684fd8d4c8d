// print.js - the holder's paper copy: one A4 sheet per chosen language with
// everything on the card, and beside each entry a QR code carrying the
// signed entry itself ("LM1:" holder ":" base64url of its card bytes), so a
// lost card's folder can be restored and verified from paper
// (docs/desk.md says how).

import { t, loadCatalog, LANGS, isRtl, fmtDate, currentLang } from './i18n.js';
import { h, data, picto, shortId, timeline, holderPanel } from './render.js';
import { qrUrl } from './api.js';

function sheet(card, lang, withQr) {
  // Only verified entries get a QR code: the paper backup is for restoring,
  // and a forged entry would only be refused again at import.
  const qr = (e) => (withQr && e.id && e.verdict === 'valid'
    ? h('figure', { class: 'qr' },
      h('img', { src: qrUrl(card.holder, e.id), alt: t('print.qr_alt', {}, lang), width: 120, height: 120 }),
      h('figcaption', {}, data(e.type), ' ', data(e.id.slice(0, 8))))
    : null);
  const reg = (card.entries || []).find((e) => e.type === 'REG');
  return h('section', { class: 'sheet', lang, dir: isRtl(lang) ? 'rtl' : 'ltr', 'data-lang': lang },
    h('header', { class: 'sheet-head' },
      h('h1', {}, picto('folder'), t('print.title', {}, lang)),
      h('p', {}, t('print.printed', {}, lang), ' ', data(fmtDate(new Date().toISOString().slice(0, 10), lang)),
        ' · ', t('holder.id', {}, lang), ' ', data(card.holder || ''))),
    holderPanel(card, lang, reg ? qr(reg) : null),
    timeline((card.entries || []).filter((e) => e.type !== 'REG'), card, lang, qr),
    h('footer', { class: 'sheet-foot' }, t('print.footer', {}, lang)));
}

// Show the print preview for the chosen languages (default: the page's).
export async function openPrintView(root, card, onClose) {
  const chosen = new Set([currentLang()]);
  const boxes = LANGS.map((l) => h('label', { class: 'lang-choice', lang: l.code },
    h('input', {
      type: 'checkbox', value: l.code, checked: chosen.has(l.code),
      onchange: (ev) => { if (ev.target.checked) chosen.add(l.code); else chosen.delete(l.code); draw(); },
    }), ' ', l.name));
  const sheets = h('div', { class: 'sheets' });
  const bar = h('div', { class: 'print-bar no-print' },
    h('fieldset', {}, h('legend', {}, t('print.languages')), boxes),
    h('button', { type: 'button', class: 'primary', onclick: () => window.print() }, picto('print'), t('print.print')),
    h('button', { type: 'button', id: 'print-close', onclick: onClose }, t('print.close')));

  async function draw() {
    const langs = LANGS.map((l) => l.code).filter((c) => chosen.has(c));
    await Promise.all(langs.map(loadCatalog));
    sheets.replaceChildren(...langs.map((c) => sheet(card, c, true)));
  }
  root.replaceChildren(bar, sheets);
  root.hidden = false;
  document.body.classList.add('printing');
  await draw();
}

export function closePrintView(root) {
  root.hidden = true;
  root.replaceChildren();
  document.body.classList.remove('printing');
}
