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

// Dates in the Gregorian calendar with Latin digits in every language: they
// must match the paper certificates and the office's files (fa would
// otherwise default to the Solar Hijri calendar).
// month: 'long' ("24 November 2026") or 'short' ("24 Nov 2026", for dense print).
export function fmtDate(iso, lang = current, month = 'long') {
  if (!iso) return '';
  const d = new Date(`${iso}T12:00:00Z`);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(`${lang}-u-ca-gregory-nu-latn`, {
    year: 'numeric', month, day: 'numeric', timeZone: 'UTC',
  }).format(d);
}

export function fmtTime(iso, lang = current) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso || '';
  return new Intl.DateTimeFormat(`${lang}-u-ca-gregory-nu-latn`, {
    dateStyle: 'medium', timeStyle: 'short',
  }).format(d);
}

// A language's own name for another language (the MYSKILLS test language).
export function langName(code, lang = current) {
  try {
    return new Intl.DisplayNames([lang], { type: 'language' }).of(code) || code;
  } catch {
    return code;
  }
}
