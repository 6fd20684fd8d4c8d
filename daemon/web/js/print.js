// print.js - the holder's paper copy: one A4 sheet per chosen language with
// everything on the card, and QR codes carrying the signed entries
// themselves ("LM1:" holder ":" base64url of each entry's card bytes, "."
// between entries), so a lost card's folder can be restored and verified
// from paper (docs/desk.md says how).
//
// A small folder gets an entry card each, with its own code beside it. A
// bigger one would run over the page that way: it gets one numbered line
// per entry and a few dense codes, each carrying many entries.  Measured
// (bench/bench_print.sh): 56 entries stay on one A4 sheet, a full 8 KB
// card (81) takes two.

import { t, loadCatalog, LANGS, isRtl, fmtDate, currentLang, todayIso } from './i18n.js';
import { h, data, picto, timeline, holderPanel, typeName, badge, warnings, issuerLine, fieldList } from './render.js';
import { kindOf } from './vocab.js';
import { qrUrl } from './api.js';
import { secretsSheet } from './protect.js';

const FULL_MAX = 8;   // up to this many entries: a card and a code each
const DENSE_FROM = 41; // from this many: smaller type, so that more fit a sheet
const PER_CODE = 20;  // about 2,800 characters: a version 40 code at level L
const ROW_MM = 190;   // the sheet's inner width for the row of codes

// The head of a sheet; with secrets (the access code and recovery line the
// desk made a moment ago for this holder) the holder's own copy of them.
function sheetHead(card, lang, secrets) {
  return [h('header', { class: 'sheet-head' },
    h('h1', {}, picto('folder'), t('print.title', {}, lang)),
    h('p', {}, t('print.printed', {}, lang), ' ', data(fmtDate(todayIso(), lang)),
      ' · ', t('holder.id', {}, lang), ' ', data(card.holder || ''))),
  secrets ? secretsSheet(secrets, lang) : null];
}

// Only verified entries go into codes: the paper backup is for restoring,
// and a forged entry would only be refused again at import.
const backedUp = (e) => e.id && e.verdict === 'valid';

// "1–3, 5": the line numbers a code carries.
function ranges(nums) {
  const out = [];
  for (let i = 0; i < nums.length; i++) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1] === nums[j] + 1) j++;
    out.push(j > i ? `${nums[i]}–${nums[j]}` : `${nums[i]}`);
    i = j;
  }
  return out.join(', ');
}

// One code carrying PART ({e, n} pairs), captioned with its line numbers.
// Its side grows with its load and shares the row with the others, but a
// full code stays at least 44 mm (about 0.25 mm per module: what an office
// printer and scanner manage); past that the codes wrap to a second row.
// Long entries can overflow a code (the daemon answers 413): then it
// becomes two codes of half the load each.
function codeFigure(card, part, lang, siblings) {
  const rowFit = (ROW_MM - 3 * (siblings - 1)) / siblings;
  const mm = Math.min(50, 14 + 2.2 * part.length, Math.max(44, rowFit));
  const fig = h('figure', { class: 'qr', 'data-entries': part.length, style: { inlineSize: `${mm}mm` } },
    h('img', {
      src: qrUrl(card.holder, part.map(({ e }) => e.id).join(',')),
      alt: t('print.qr_alt_many', {}, lang), style: { inlineSize: `${mm}mm`, blockSize: `${mm}mm` },
      onerror: () => {
        if (part.length < 2) return;
        const half = Math.ceil(part.length / 2);
        fig.replaceWith(codeFigure(card, part.slice(0, half), lang, siblings + 1),
          codeFigure(card, part.slice(half), lang, siblings + 1));
      },
    }),
    h('figcaption', {}, t('print.qr_entries', { list: ranges(part.map(({ n }) => n)) }, lang)));
  return fig;
}

// A line names a known issuer after a dot; the other cases (hidden,
// unknown) say so in words, as on the screen.
function rowIssuer(e, lang) {
  if (e.hidden_issuer || !(e.issuer && e.issuer.name)) return issuerLine(e, lang);
  return h('p', { class: 'issuer' }, '· ', data(e.issuer.name));
}

function compactSheet(card, lang, secrets) {
  const entries = card.entries || []; // card order: line numbers follow the card
  const rows = entries.map((e, i) => h('li', {
    class: `row ${e.verdict === 'valid' ? 'is-valid' : 'is-invalid'}`, 'data-type': e.type, 'data-n': i + 1,
  },
  h('span', { class: 'n data' }, `${i + 1}`),
  picto(e.type === 'REG' ? 'holder' : `kind-${kindOf(e.type)}`),
  h('div', { class: 'row-main' },
    h('p', { class: 'row-head' }, h('b', {}, typeName(e.type, lang)), ' ',
      e.date ? data(fmtDate(e.date, lang)) : null),
    badge(e, lang), warnings(e, card, lang), rowIssuer(e, lang), fieldList(e, lang))));
  // Balanced codes of at most PER_CODE entries, in one row.
  const ok = entries.map((e, i) => ({ e, n: i + 1 })).filter(({ e }) => backedUp(e));
  const count = Math.ceil(ok.length / PER_CODE);
  const parts = [];
  for (let c = 0; c < count; c++) {
    parts.push(ok.slice(Math.floor((c * ok.length) / count), Math.floor(((c + 1) * ok.length) / count)));
  }
  const grid = h('div', { class: 'qr-grid' }, parts.map((part) => codeFigure(card, part, lang, count)));
  const dense = entries.length >= DENSE_FROM ? ' dense' : '';
  return h('section', { class: `sheet compact${dense}`, lang, dir: isRtl(lang) ? 'rtl' : 'ltr', 'data-lang': lang },
    sheetHead(card, lang, secrets),
    h('ol', { class: 'rows' }, rows),
    grid,
    h('footer', { class: 'sheet-foot' }, t('print.footer_many', {}, lang)));
}

function sheet(card, lang, secrets) {
  if ((card.entries || []).length > FULL_MAX) return compactSheet(card, lang, secrets);
  const qr = (e) => (backedUp(e)
    ? h('figure', { class: 'qr' },
      h('img', { src: qrUrl(card.holder, e.id), alt: t('print.qr_alt', {}, lang), width: 120, height: 120 }),
      h('figcaption', {}, data(e.type), ' ', data(e.id.slice(0, 8))))
    : null);
  const reg = (card.entries || []).find((e) => e.type === 'REG');
  return h('section', { class: 'sheet', lang, dir: isRtl(lang) ? 'rtl' : 'ltr', 'data-lang': lang },
    sheetHead(card, lang, secrets),
    holderPanel(card, lang, reg ? qr(reg) : null, `holder-name-${lang}`),
    timeline((card.entries || []).filter((e) => e.type !== 'REG'), card, lang, qr),
    h('footer', { class: 'sheet-foot' }, t('print.footer', {}, lang)));
}

// Show the print preview for the chosen languages (default: the page's).
// secrets ({holder, code, recovery}, or null): printed on every sheet when
// they are this card's holder's (kept in the page's memory only, app.js).
export async function openPrintView(root, card, onClose, secrets = null) {
  const mine = secrets && card.holder && secrets.holder === card.holder ? secrets : null;
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
    sheets.replaceChildren(...langs.map((c) => sheet(card, c, mine)));
  }
  root.replaceChildren(bar, sheets);
  root.hidden = false;
  document.body.classList.add('printing');
  boxes[0].querySelector('input').focus(); // the screen behind is hidden: focus comes here
  await draw();
}

export function closePrintView(root) {
  root.hidden = true;
  root.replaceChildren();
  document.body.classList.remove('printing');
}
