// i18n.js - the page's strings come from catalogs (daemon/web/i18n/LANG.json,
// generated from po/LANG.po by po/po2json.mjs).  A key with no translation
// is shown as [key] and recorded in window.lmMissing, so a test can fail on it.

export const LANGS = [
  // Names are endonyms: a person finds their own language whatever is shown.
  { code: 'de', name: 'Deutsch' },
  { code: 'en', name: 'English' },
  { code: 'ar', name: 'العربية', rtl: true },
  { code: 'fa', name: 'دری / فارسی', rtl: true },
  { code: 'uk', name: 'Українська' },
  { code: 'tr', name: 'Türkçe' },
];

const catalogs = {};
let current = 'de';
window.lmMissing = new Set();

export function isRtl(code) {
  return !!LANGS.find((l) => l.code === code && l.rtl);
}

export function currentLang() {
  return current;
}

export async function loadCatalog(code) {
  if (!catalogs[code]) {
    const res = await fetch(`/static/i18n/${code}.json`);
    if (!res.ok) throw new Error(`catalog ${code}: HTTP ${res.status}`);
    catalogs[code] = await res.json();
  }
  return catalogs[code];
}

// Switch the whole page: load the catalog, set lang and dir on <html> (the
// CSS uses logical properties, so dir alone mirrors the layout).
export async function setLang(code) {
  if (!LANGS.find((l) => l.code === code)) code = 'de';
  await loadCatalog(code);
  current = code;
  document.documentElement.lang = code;
  document.documentElement.dir = isRtl(code) ? 'rtl' : 'ltr';
  try { localStorage.setItem('lm-lang', code); } catch { /* private mode */ }
  translateTree(document);
}

// t(KEY, {n: 3}) -> the catalog string with {n} replaced.  lang defaults
// to the page's language; the print view passes its own per sheet.
export function t(key, vars = {}, lang = current) {
  const cat = catalogs[lang] || {};
  let s = cat[key];
  if (s === undefined || s === '') {
    window.lmMissing.add(`${lang}:${key}`);
    s = `[${key}]`;
  }
  return s.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

// Does the catalog have this key?  (For optional strings with a fallback.)
export function has(key, lang = current) {
  return !!(catalogs[lang] && catalogs[lang][key]);
}

// Fill every [data-i18n] element's text, and [data-i18n-attr] attributes
// given as "attr:key;attr:key".
export function translateTree(root, lang = current) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n, {}, lang);
  }
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      el.setAttribute(attr, t(key, {}, lang));
    }
  }
}

// Dates: Gregorian (the certificates' and the office's calendar; fa would
// otherwise default to the Solar Hijri one), in the order, separators and
// digits the language's catalog names, never the browser's locale:
//   date.pattern      "DD.MM.YYYY": the tokens DD, MM, YYYY in the language's
//                     order with its separators (the tokens are not shown)
//   date.placeholder  "TT.MM.JJJJ": the same pattern in the language's letters
//   date.digits       a CLDR numbering system: latn (0-9), arab (٠-٩), arabext (۰-۹)
// The API keeps ISO dates (YYYY-MM-DD); these only format and parse them.
const RLM = '\u200f';
const BIDI_MARKS = /[\u200e\u200f\u061c]/g;

function dateStyle(lang) {
  const cat = catalogs[lang] || {};
  const pattern = cat['date.pattern'] || 'YYYY-MM-DD';
  const digits = cat['date.digits'] || 'latn';
  // The ten digits of the numbering system, as the browser's ICU draws them.
  const nf = new Intl.NumberFormat(`en-u-nu-${digits}`, { useGrouping: false });
  const glyphs = [...Array(10).keys()].map((i) => nf.format(i));
  return { pattern, glyphs, rtl: isRtl(lang) };
}

const toDigits = (n, width, glyphs) => String(n).padStart(width, '0').replace(/[0-9]/g, (c) => glyphs[c]);

// ISO "2026-12-03" -> "03.12.2026" (de), "٠٣/١٢/٢٠٢٦" (ar, as its catalog says).
// In a right-to-left language a mark after each separator keeps the parts
// in the pattern's order read from the right, as the placeholder reads
// (without it, digits and separators would run left to right as one number).
export function fmtDate(iso, lang = current) {
  if (!iso) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return iso;
  const { pattern, glyphs, rtl } = dateStyle(lang);
  const parts = { YYYY: toDigits(m[1], 4, glyphs), MM: toDigits(m[2], 2, glyphs), DD: toDigits(m[3], 2, glyphs) };
  return pattern.replace(/YYYY|MM|DD|[^A-Z]+/g, (tok) => parts[tok] || (rtl ? tok + RLM : tok));
}

// What a staff member typed -> ISO, or null.  Accepts the language's pattern
// with Latin or the language's digits and any of . / - or a space between
// the parts, and an ISO date in every language.
export function parseDate(text, lang = current) {
  const { pattern, glyphs } = dateStyle(lang);
  const latin = (text || '').replace(BIDI_MARKS, '').trim()
    .replace(/./gu, (c) => { const i = glyphs.indexOf(c); return i >= 0 ? String(i) : c; });
  const nums = latin.split(/\s*[./\-\s]\s*/);
  if (nums.length !== 3 || !nums.every((n) => /^[0-9]{1,4}$/.test(n))) return null;
  const order = /^[0-9]{4}$/.test(nums[0]) && !pattern.startsWith('YYYY')
    ? ['YYYY', 'MM', 'DD'] : pattern.match(/YYYY|MM|DD/g);
  const v = Object.fromEntries(order.map((tok, i) => [tok, Number(nums[i])]));
  if (!(v.YYYY >= 1900 && v.YYYY <= 2999)) return null;
  const iso = `${v.YYYY}-${String(v.MM).padStart(2, '0')}-${String(v.DD).padStart(2, '0')}`;
  const d = new Date(`${iso}T12:00:00Z`);
  // 31.02. is not a date: the round trip through Date would move it.
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso ? iso : null;
}

// A moment (the read log, ISO with a time) in local time: the date as above
// and the time with the same digits.
export function fmtTime(iso, lang = current) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return iso || '';
  const { glyphs } = dateStyle(lang);
  const p2 = (n) => String(n).padStart(2, '0');
  const day = `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}`;
  return `${fmtDate(day, lang)} ${toDigits(p2(d.getHours()), 2, glyphs)}:${toDigits(p2(d.getMinutes()), 2, glyphs)}`;
}

// Today in the browser's time zone, ISO.
export function todayIso() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

// A language's own name for another language (the MYSKILLS test language).
export function langName(code, lang = current) {
  try {
    return new Intl.DisplayNames([lang], { type: 'language' }).of(code) || code;
  } catch {
    return code;
  }
}
