// vocab.js - the entry vocabulary as the page needs it: which fields each
// type has, what kind of value each field holds, and the enum value names.
// It comes from the library's own tables (lib/src/entry.c) through
// GET /api/vocab, loaded once before the page renders (loadVocab), so that
// the page always uses the names of the daemon it talks to.  There is no
// copy of those tables here (tests/browser/test_vocab.mjs checks that).

// FIELDS: name -> {key, kind: 'uint'|'enum'|'bool'|'date'|'text'|'bytes',
// max (uint, text, bytes), values (enum)}; TYPES: type name -> field names in
// the library's order; ROLES: institution roles.  Empty until loadVocab.
export const FIELDS = {};
export const TYPES = {};
export const ROLES = [];

// Fill FIELDS, TYPES and ROLES from the daemon (getVocab resolves to the
// body of GET /api/vocab).  Resolves to true once they are filled; a failure
// leaves them empty, and the next call tries again.
export async function loadVocab(getVocab) {
  if (Object.keys(TYPES).length) return true;
  let v;
  try { v = await getVocab(); } catch { return false; }
  if (!v || !Array.isArray(v.types) || !v.fields) return false;
  Object.assign(FIELDS, v.fields);
  for (const ty of v.types) TYPES[ty.name] = ty.fields;
  ROLES.push(...(v.roles || []));
  return true;
}

// The kinds the timeline groups entries by (issue 6), each with its
// pictogram.  REG is not a kind: it fills the holder panel.
export const KINDS = [
  { id: 'language', types: ['IK', 'DTZ', 'LID', 'ZIK', 'BSK', 'DTB'] },
  { id: 'orientation', types: ['EOK'] },
  { id: 'recognition', types: ['ANR', 'APQ', 'ZAB', 'SCH'] },
  { id: 'competence', types: ['MYS', 'KOMP'] },
  { id: 'work', types: ['PRA', 'EQ', 'AUSB', 'ASA', 'JOB'] },
  { id: 'mentoring', types: ['MENT'] },
  { id: 'appointments', types: ['BER'] },
];

export function kindOf(type) {
  const k = KINDS.find((k) => k.types.includes(type));
  return k ? k.id : 'other';
}

// Enum values that are codes in every language (CEFR levels, exam brands):
// shown as they are, not looked up in the catalogs.
const CODES = {
  level: { a1: 'A1', a2: 'A2', b1: 'B1', b2: 'B2', c1: 'C1', c2: 'C2' },
  dtz: { a2: 'A2', b1: 'B1' },
  module: { b2: 'B2', c1: 'C1', c2: 'C2' },
  exam: { dtb: 'DTB', telc: 'telc', dsh: 'DSH', testdaf: 'TestDaF' },
  tool: { profilpass: 'ProfilPASS', kompetenzkarten: 'Kompetenzkarten', kompass: 'KOMPASS' },
};

export function codeOf(field, value) {
  return CODES[field] ? CODES[field][value] : undefined;
}
