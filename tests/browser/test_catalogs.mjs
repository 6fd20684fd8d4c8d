#!/usr/bin/env node
// test_catalogs.mjs - every string key the desk page can ask for exists in
// every language, and daemon/web/i18n/*.json are in sync with po/*.po.
//   node tests/browser/test_catalogs.mjs
// Keys come from three places: literal t('...') calls and data-i18n
// attributes in daemon/web, the vocabulary (types, fields, enum values,
// kinds), and the rules file (suggest keys).  The vocabulary, roles and
// verdicts are the library's (lm-vocab-dump: the body of GET /api/vocab;
// LM_VOCAB_DUMP from meson).
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const web = join(root, 'daemon', 'web');
const { FIELDS, TYPES, KINDS, codeOf, loadVocab } = await import(join(web, 'js', 'vocab.js'));
if (!process.env.LM_VOCAB_DUMP) { console.log('SKIP: LM_VOCAB_DUMP is not set'); process.exit(77); }
const lib = JSON.parse(execFileSync(process.env.LM_VOCAB_DUMP, { encoding: 'utf8' }));
assert.ok(await loadVocab(async () => lib), 'the vocabulary loads');
let failures = 0;
const fail = (msg) => { failures++; console.error(`FAIL: ${msg}`); };

// 1. The generated catalogs match the .po files.
const tmp = mkdtempSync(join(tmpdir(), 'lm-i18n-'));
execFileSync('node', [join(root, 'po', 'po2json.mjs'), tmp]);
for (const f of readdirSync(tmp)) {
  if (readFileSync(join(tmp, f), 'utf8') !== readFileSync(join(web, 'i18n', f), 'utf8')) {
    fail(`daemon/web/i18n/${f} is out of date: run node po/po2json.mjs`);
  }
}
rmSync(tmp, { recursive: true });

// 2. msgfmt accepts every .po file (syntax, header, format).
for (const f of readdirSync(join(root, 'po')).filter((n) => n.endsWith('.po'))) {
  try {
    execFileSync('msgfmt', ['--check', '-o', '/dev/null', join(root, 'po', f)], { stdio: 'pipe' });
  } catch (e) {
    if (e.code === 'ENOENT') { console.log('msgfmt missing: .po syntax not checked'); break; }
    fail(`msgfmt --check ${f}: ${e.stderr}`);
  }
}

// 3. Every key the page can use is in every catalog.
const keys = new Set();
const src = readdirSync(join(web, 'js')).map((f) => readFileSync(join(web, 'js', f), 'utf8')).join('\n') +
  readFileSync(join(web, 'index.html'), 'utf8');
for (const m of src.matchAll(/\bt\('([a-z0-9_.]+)'/g)) keys.add(m[1]);
for (const m of src.matchAll(/\bkey: '([a-z0-9_.]+)'/g)) keys.add(m[1]);
for (const m of src.matchAll(/'((?:form\.err|error|banner|notice)\.[a-z0-9_]+)'/g)) keys.add(m[1]);
for (const m of src.matchAll(/data-i18n="([a-z0-9_.]+)"/g)) keys.add(m[1]);
for (const ty of Object.keys(TYPES)) keys.add(`type.${ty}`);
for (const [name, def] of Object.entries(FIELDS)) {
  keys.add(`field.${name}`);
  if (def.kind === 'enum' && name !== 'test_lang') {
    for (const v of def.values) if (!codeOf(name, v)) keys.add(`enum.${name}.${v}`);
  }
}
for (const k of KINDS) keys.add(`kind.${k.id}`);
keys.add('kind.other');
for (const r of lib.roles) keys.add(`role.${r}`);
for (const v of [...lib.verdicts.filter((v) => v !== 'valid'), 'stale', 'trust_expired']) keys.add(`why.${v}`);
const rules = JSON.parse(readFileSync(join(web, 'rules', 'next-steps.json'), 'utf8'));
assert.equal(typeof rules.version, 'number', 'rules file has a numeric version');
for (const r of rules.rules) keys.add(r.suggest);

const langs = readFileSync(join(root, 'po', 'LINGUAS'), 'utf8').split('\n')
  .filter((l) => !l.startsWith('#')).join(' ').split(/\s+/).filter(Boolean);
assert.deepEqual(langs.sort(), ['ar', 'de', 'en', 'fa', 'tr', 'uk']);
for (const lang of langs) {
  const cat = JSON.parse(readFileSync(join(web, 'i18n', `${lang}.json`), 'utf8'));
  for (const k of keys) if (!cat[k]) fail(`${lang}: missing key ${k}`);
  // Placeholders must survive translation.
  const en = JSON.parse(readFileSync(join(web, 'i18n', 'en.json'), 'utf8'));
  for (const k of keys) {
    const want = (en[k] || '').match(/\{\w+\}/g) || [];
    for (const ph of want) if (cat[k] && !cat[k].includes(ph)) fail(`${lang}: ${k} lacks ${ph}`);
  }
}
// 4. Dates (js/i18n.js): each language names its pattern of DD, MM and YYYY,
// a placeholder with the same separators in the same places, and digits
// that are a numbering system the browser's ICU knows.
for (const lang of langs) {
  const cat = JSON.parse(readFileSync(join(web, 'i18n', `${lang}.json`), 'utf8'));
  const pattern = cat['date.pattern'] || '';
  const tokens = (pattern.match(/YYYY|MM|DD/g) || []).sort();
  if (tokens.join() !== 'DD,MM,YYYY') fail(`${lang}: date.pattern "${pattern}" needs DD, MM and YYYY once each`);
  const seps = (s) => s.split(/[^./\- ]+/).filter(Boolean).join('|');
  const ph = cat['date.placeholder'] || '';
  if (ph.split(/[./\- ]/).filter(Boolean).length !== 3 || seps(ph) !== seps(pattern.replace(/YYYY|MM|DD/g, 'x'))) {
    fail(`${lang}: date.placeholder "${ph}" does not follow date.pattern "${pattern}"`);
  }
  const nu = cat['date.digits'];
  let known = false;
  try { known = new Intl.NumberFormat(`en-u-nu-${nu}`).resolvedOptions().numberingSystem === nu; } catch { /* */ }
  if (!known) fail(`${lang}: date.digits "${nu}" is not a numbering system`);
}

// 5. The command line's messages (context "cli.*", looked up by gettext in
// tools/laufmappe.c): each one in the template is translated everywhere,
// with the English source unchanged.
const { parsePo } = await import(join(root, 'po', 'po2json.mjs'));
const cliOf = (file) => new Map(parsePo(readFileSync(join(root, 'po', file), 'utf8'))
  .filter((e) => (e.msgctxt || '').startsWith('cli.')).map((e) => [e.msgctxt, e]));
const pot = cliOf('laufmappe.pot');
for (const lang of langs) {
  const po = cliOf(`${lang}.po`);
  for (const [k, e] of pot) {
    const tr = po.get(k);
    if (!tr || !tr.msgstr) fail(`${lang}.po: CLI message ${k} untranslated`);
    else if (tr.msgid !== e.msgid) fail(`${lang}.po: ${k} has another English source than the template`);
  }
}
console.log(`${keys.size} page keys and ${pot.size} CLI messages checked in ${langs.length} languages`);
process.exit(failures ? 1 : 0);
