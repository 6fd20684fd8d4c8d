#!/usr/bin/env node
// test_rules.mjs - the "what comes next" rules (daemon/web/rules/
// next-steps.json, evaluated by daemon/web/js/rules.js) on small folders:
// each rule fires where domain.md says, names its reasons, and only
// verified entries count.   node tests/browser/test_rules.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'daemon', 'web');
const { nextSteps } = await import(join(web, 'js', 'rules.js'));
const rules = JSON.parse(readFileSync(join(web, 'rules', 'next-steps.json'), 'utf8'));
const NOW = new Date('2026-11-25T10:00:00Z');

let n = 0;
const e = (type, fields = {}, verdict = 'valid') => ({ type, fields, verdict, id: `id${++n}`, date: '2026-01-01' });
const reg = (fields) => e('REG', { name: 'X', birth_year: 1990, literacy: 'latin', qualification: 'none', work_experience: false, ...fields });
const ids = (entries) => nextSteps(rules, entries, NOW).map((s) => s.id);

test('the file is versioned and every rule has a catalog key', () => {
  assert.equal(typeof rules.version, 'number');
  for (const r of rules.rules) assert.match(r.suggest, /^next\.R\d+$/);
});

test('R1 not literate -> Alpha course, until one is on the card', () => {
  assert.ok(ids([reg({ literacy: 'not_literate' })]).includes('R1'));
  assert.ok(!ids([reg({ literacy: 'not_literate' }), e('IK', { subtype: 'literacy', status: 'running' })]).includes('R1'));
});

test('R2 other script -> second-script course', () => {
  assert.ok(ids([reg({ literacy: 'other_script' })]).includes('R2'));
});

test('R3 age 16-27 without integration course; R13 under 25 without apprenticeship', () => {
  const young = ids([reg({ birth_year: 2006 })]);
  assert.ok(young.includes('R3') && young.includes('R13'));
  const old = ids([reg({ birth_year: 1980 })]);
  assert.ok(!old.includes('R3') && !old.includes('R13'));
});

test('R4 and R11 academic', () => {
  const r = ids([reg({ qualification: 'academic' })]);
  assert.ok(r.includes('R4') && r.includes('R11'));
});

test('R5 nothing yet -> first orientation course', () => {
  assert.ok(ids([reg({})]).includes('R5'));
  assert.ok(!ids([reg({}), e('EOK')]).includes('R5'));
});

test('R6 DTZ B1 + LID passed -> ZIK and B2 course, with both entries as reasons', () => {
  const dtz = e('DTZ', { dtz: 'b1' });
  const lid = e('LID', { score: 20 });
  const steps = nextSteps(rules, [reg({}), dtz, lid], NOW);
  const r6 = steps.find((s) => s.id === 'R6');
  assert.ok(r6);
  assert.deepEqual(r6.entries.map((x) => x.id).sort(), [dtz.id, lid.id].sort());
  assert.ok(!ids([reg({}), dtz, e('LID', { score: 14 })]).includes('R6'));
});

test('R7 below B1 after the whole course', () => {
  assert.ok(ids([e('IK', { status: 'done' }), e('DTZ', { dtz: 'a2' })]).includes('R7'));
  assert.ok(!ids([e('IK', { status: 'done' }), e('DTZ', { dtz: 'a2' }), e('DTZ', { dtz: 'b1' })]).includes('R7'));
});

test('R9 vocational -> recognition counselling; R10 partial -> bridging', () => {
  assert.ok(ids([reg({ qualification: 'vocational' })]).includes('R9'));
  assert.ok(!ids([reg({ qualification: 'vocational' }), e('ANR', { recognition: 'partial' })]).includes('R9'));
  assert.ok(ids([e('ANR', { recognition: 'partial' })]).includes('R10'));
  assert.ok(!ids([e('ANR', { recognition: 'full' })]).includes('R10'));
});

test('R12 work experience without certificates', () => {
  assert.ok(ids([reg({ work_experience: true })]).includes('R12'));
  assert.ok(!ids([reg({ work_experience: true }), e('MYS', { myskills: 3 })]).includes('R12'));
});

test('R14 at risk in EQ/apprenticeship; R15 contract signed -> mentor', () => {
  assert.ok(ids([e('AUSB', { status: 'running', at_risk: true })]).includes('R14'));
  assert.ok(!ids([e('AUSB', { status: 'running', at_risk: false })]).includes('R14'));
  assert.ok(ids([e('AUSB', { status: 'planned' })]).includes('R15'));
  assert.ok(!ids([e('AUSB', { status: 'planned' }), e('MENT', { status: 'running' })]).includes('R15'));
});

test('a forged entry is not a fact', () => {
  const forged = [reg({}), e('DTZ', { dtz: 'b1' }, 'unknown_issuer'), e('LID', { score: 30 })];
  assert.ok(!ids(forged).includes('R6'));
  // ...and a forged registration does not drive suggestions either.
  assert.ok(!ids([{ ...reg({ qualification: 'vocational' }), verdict: 'bad_signature' }]).includes('R9'));
});

test('an unknown condition never fires', () => {
  const custom = { version: 99, rules: [{ id: 'X', suggest: 'next.R1', when: { frobnicate: 1 } }] };
  assert.deepEqual(nextSteps(custom, [reg({})], NOW), []);
});
