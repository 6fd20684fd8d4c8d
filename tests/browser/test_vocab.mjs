#!/usr/bin/env node
// test_vocab.mjs - daemon/web/js/vocab.js says the same as lib/src/entry.c:
// the same types with the same fields, and the same enum value names in the
// same order (the page sends these names to the daemon when it appends).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { FIELDS, TYPES } = await import(join(root, 'daemon', 'web', 'js', 'vocab.js'));
const c = readFileSync(join(root, 'lib', 'src', 'entry.c'), 'utf8');

// static const char *const status_names[] = {"done", ..., NULL};
const enums = {};
for (const m of c.matchAll(/static const char \*const (\w+)\[\] = \{([^}]*)\}/g)) {
  enums[m[1]] = [...m[2].matchAll(/"([^"]*)"/g)].map((x) => x[1]);
}
// {3, "status", LM_KIND_ENUM, 0, status_names},
const byKey = {};
for (const m of c.matchAll(/\{(\d+), "(\w+)", LM_KIND_(\w+), (\w+), (\w+)\}/g)) {
  const [, key, name, kind, max, names] = m;
  byKey[key] = name;
  if (key <= 2) continue; // type and date are not fields of the form
  assert.ok(FIELDS[name], `vocab.js lacks field ${name}`);
  assert.equal(FIELDS[name].kind, kind.toLowerCase(), `kind of ${name}`);
  if (kind === 'ENUM') assert.deepEqual(FIELDS[name].values, enums[names], `values of ${name}`);
  else if (kind !== 'DATE' && kind !== 'BOOL') assert.equal(FIELDS[name].max, Number(max), `max of ${name}`);
}
// {LM_TYPE_IK, "IK", "...", "...", F(3, 4, 10, 11, 12, 13)},
let n = 0;
for (const m of c.matchAll(/\{LM_TYPE_\w+, "(\w+)",[^{]*?(?:F\(([\d, ]+)\)|\(const uint8_t\[\]\)\{0\})\}/g)) {
  const fields = m[2] ? m[2].split(',').map((k) => byKey[k.trim()]) : [];
  assert.deepEqual(TYPES[m[1]], fields, `fields of ${m[1]}`);
  n++;
}
assert.equal(n, Object.keys(TYPES).length, 'same number of types');
console.log(`${n} types and ${Object.keys(FIELDS).length} fields match lib/src/entry.c`);
