#!/usr/bin/env node
// po2json.mjs - make the desk page's catalogs from the gettext files:
//   node po/po2json.mjs [OUTDIR]     (default daemon/web/i18n)
// For every language in po/LINGUAS, writes OUTDIR/LANG.json = {msgctxt: msgstr}.
// Fuzzy translations are kept: a careful guess helps a reader more than
// English; they are listed under "" -> fuzzy for translators.  Strings with
// a "cli." context belong to the CLI and daemon and stay out of the page.
// tests/browser/test_catalogs.sh checks that the committed JSON is in sync.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const poDir = dirname(fileURLToPath(import.meta.url));
const outDir = process.argv[2] || join(poDir, '..', 'daemon', 'web', 'i18n');

// A C-style string literal as gettext writes it.
function unquote(s) {
  return JSON.parse(s.replace(/\\([^nt"\\])/g, '$1'));
}

export function parsePo(text) {
  const entries = [];
  let cur = null;
  let field = null;
  const flush = () => { if (cur && cur.msgid !== undefined) entries.push(cur); cur = null; };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') { flush(); continue; }
    if (!cur) cur = { flags: [] };
    if (line.startsWith('#,')) cur.flags.push(...line.slice(2).split(',').map((f) => f.trim()));
    else if (line.startsWith('#')) continue;
    else if (line.startsWith('"')) cur[field] += unquote(line);
    else {
      const m = line.match(/^(msgctxt|msgid|msgstr)\s+(".*")$/);
      if (!m) throw new Error(`cannot parse: ${line}`);
      field = m[1];
      cur[field] = unquote(m[2]);
    }
  }
  flush();
  return entries;
}

// Run as a program (not when a test imports parsePo): write the catalogs.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const langs = readFileSync(join(poDir, 'LINGUAS'), 'utf8')
    .split('\n').filter((l) => !l.startsWith('#')).join(' ').split(/\s+/).filter(Boolean);
  mkdirSync(outDir, { recursive: true });
  for (const lang of langs) {
    const out = {};
    const fuzzy = [];
    for (const e of parsePo(readFileSync(join(poDir, `${lang}.po`), 'utf8'))) {
      if (!e.msgctxt || e.msgctxt.startsWith('cli.') || e.msgstr === '') continue;
      out[e.msgctxt] = e.msgstr;
      if (e.flags.includes('fuzzy')) fuzzy.push(e.msgctxt);
    }
    const sorted = Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]));
    sorted[''] = { language: lang, fuzzy };
    writeFileSync(join(outDir, `${lang}.json`), `${JSON.stringify(sorted, null, 1)}\n`);
  }
}
