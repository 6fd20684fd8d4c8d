#!/usr/bin/env node
// test_vocab.mjs - the desk page's entry vocabulary is the library's:
//  1. the library's JSON view of its tables (lm_json_vocab, the body of
//     GET /api/vocab; printed by lm-vocab-dump) says what lib/src/entry.c's
//     tables say: the same types with the same fields, the same enum value
//     names in the same order, the same kinds and limits;
//  2. daemon/web/js holds no copy of them: vocab.js is empty until it loads
//     /api/vocab, and no enum value list of the library is spelled out in
//     any of the page's scripts;
//  3. after loadVocab the page's FIELDS and TYPES are the library's, and the
//     timeline's KINDS group every type of the library (REG aside) and no
//     other.
// Environment: LM_VOCAB_DUMP (from meson), the lm-vocab-dump executable.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dump = process.env.LM_VOCAB_DUMP;
if (!dump) { console.log('SKIP: LM_VOCAB_DUMP is not set'); process.exit(77); }
const lib = JSON.parse(execFileSync(dump, { encoding: 'utf8' }));

// 1. The JSON view against entry.c's tables.
const c = readFileSync(join(root, 'lib', 'src', 'entry.c'), 'utf8');
// static const char *const status_names[] = {"done", ..., NULL};
const enums = {};
for (const m of c.matchAll(/static const char \*const (\w+)\[\] = \{([^}]*)\}/g)) {
  enums[m[1]] = [...m[2].matchAll(/"([^"]*)"/g)].map((x) => x[1]);
}
// {3, "status", LM_KIND_ENUM, 0, status_names},
const byKey = {};
let nfields = 0;
for (const m of c.matchAll(/\{(\d+), "(\w+)", LM_KIND_(\w+), (\w+), (\w+)\}/g)) {
  const [, key, name, kind, max, names] = m;
  byKey[key] = name;
  if (key <= 2) continue; // type and date are not fields of the form
  const f = lib.fields[name];
  assert.ok(f, `the library's vocabulary lacks field ${name}`);
  assert.equal(f.key, Number(key), `key of ${name}`);
  assert.equal(f.kind, kind.toLowerCase(), `kind of ${name}`);
  if (kind === 'ENUM') assert.deepEqual(f.values, enums[names], `values of ${name}`);
  else if (kind !== 'DATE' && kind !== 'BOOL') assert.equal(f.max, Number(max), `max of ${name}`);
  nfields++;
}
assert.equal(Object.keys(lib.fields).length, nfields, 'same number of fields');
// {LM_TYPE_IK, "IK", "...", "...", F(3, 4, 10, 11, 12, 13)},
let n = 0;
for (const m of c.matchAll(/\{LM_TYPE_\w+, "(\w+)",[^{]*?(?:F\(([\d, ]+)\)|\(const uint8_t\[\]\)\{0\})\}/g)) {
  const fields = m[2] ? m[2].split(',').map((k) => byKey[k.trim()]) : [];
  const ty = lib.types.find((t) => t.name === m[1]);
  assert.ok(ty, `the library's vocabulary lacks type ${m[1]}`);
  assert.deepEqual(ty.fields, fields, `fields of ${m[1]}`);
  n++;
}
assert.equal(n, lib.types.length, 'same number of types');

// 2. No copy in the page.
const vocab = await import(join(root, 'daemon', 'web', 'js', 'vocab.js'));
assert.deepEqual(vocab.FIELDS, {}, 'vocab.js has fields before it loaded /api/vocab');
assert.deepEqual(vocab.TYPES, {}, 'vocab.js has types before it loaded /api/vocab');
const webjs = join(root, 'daemon', 'web', 'js');
for (const file of readdirSync(webjs)) {
  const src = readFileSync(join(webjs, file), 'utf8');
  for (const [name, f] of Object.entries(lib.fields)) {
    if (f.kind !== 'enum' || f.values.length < 3) continue;
    const list = new RegExp(f.values.map((v) => `['"]${v}['"]`).join('\\s*,\\s*'));
    assert.ok(!list.test(src), `${file} spells out the values of ${name}: a copy of entry.c`);
  }
}

// 3. Loaded, the page has the library's vocabulary.
let asked = 0;
const ok = await vocab.loadVocab(async () => { asked++; return lib; });
assert.equal(ok, true);
assert.equal(await vocab.loadVocab(async () => { throw new Error('asked twice'); }), true);
assert.equal(asked, 1, 'loaded once');
assert.deepEqual(vocab.FIELDS, lib.fields);
assert.deepEqual(vocab.TYPES, Object.fromEntries(lib.types.map((t) => [t.name, t.fields])));
assert.deepEqual(vocab.ROLES, lib.roles);
const grouped = vocab.KINDS.flatMap((k) => k.types);
for (const t of lib.types) {
  if (t.name !== 'REG') assert.ok(grouped.includes(t.name), `no timeline kind for type ${t.name}`);
}
for (const t of grouped) assert.ok(vocab.TYPES[t], `KINDS names ${t}, which the library lacks`);
console.log(`${n} types and ${nfields} fields of lib/src/entry.c reach the page through /api/vocab`);
