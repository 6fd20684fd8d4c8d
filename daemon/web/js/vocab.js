// vocab.js - the entry vocabulary of lib/src/entry.c, as the page needs it:
// which fields each type has, what kind of value each field holds, and the
// enum value names.  The JSON from the daemon uses exactly these names.
// Keep in step with entry.c (tests/browser/test_vocab.mjs compares them).

const E = (...names) => ({ kind: 'enum', values: names });
const U = (max) => ({ kind: 'uint', max });
const B = { kind: 'bool' };
const D = { kind: 'date' };
const T = (max) => ({ kind: 'text', max });
const X = (max) => ({ kind: 'bytes', max });

export const FIELDS = {
  status: E('done', 'running', 'planned', 'stopped'),
  end: D,
  hours: U(5000),
  subtype: E('general', 'youth', 'parents', 'women', 'intensive', 'literacy', 'second_script'),
  planned: U(2000),
  attended: U(2000),
  repeat: B,
  dtz: E('below_a2', 'a2', 'b1'),
  listen_read: U(45),
  writing: U(20),
  speaking: U(100),
  score: U(33),
  module: E('b2', 'c1', 'c2', 'special_a2', 'special_b1', 'recognition', 'subject'),
  level: E('none', 'a1', 'a2', 'b1', 'b2', 'c1', 'c2'),
  exam: E('dtb', 'telc', 'dsh', 'testdaf', 'other'),
  occupation: U(99999),
  recognition: E('none', 'partial', 'full'),
  gaps_closed: B,
  deadline: D,
  degree: E('none', 'bachelor', 'master', 'doctorate', 'other'),
  school: E('none', 'hauptschule', 'mittlerer_abschluss', 'fachhochschulreife', 'abitur'),
  myskills: U(30),
  test_lang: E('de', 'en', 'ar', 'fa', 'uk', 'tr', 'ru', 'ku', 'ti', 'ps', 'fr'),
  ratings: X(16),
  tool: E('other', 'profilpass', 'kompetenzkarten', 'kompass'),
  basis: E('self_reported', 'observed'),
  kind: E('orientation', 'vocational', 'study', 'other'),
  months: U(36),
  final: E('pending', 'passed', 'failed'),
  phase: E('before', 'during'),
  programme: T(32),
  service: E('migration_counselling', 'youth_migration_service', 'job_counselling',
    'recognition_counselling', 'other'),
  next: D,
  hours_band: E('under_15', '15_to_30', 'over_30'),
  at_risk: B,
  name: T(48),
  birth_year: U(2100),
  evidence: E('self_declared', 'registered', 'document_checked'),
  card_key: X(65),
  literacy: E('latin', 'other_script', 'not_literate'),
  qualification: E('none', 'vocational', 'academic'),
  work_experience: B,
};

// Fields per type, in the order of entry.c's type table.
export const TYPES = {
  EOK: ['status', 'end', 'attended'],
  IK: ['status', 'end', 'subtype', 'planned', 'attended', 'repeat'],
  DTZ: ['dtz', 'listen_read', 'writing', 'speaking'],
  LID: ['score'],
  ZIK: [],
  BSK: ['status', 'end', 'attended', 'module'],
  DTB: ['level', 'exam'],
  ANR: ['occupation', 'recognition'],
  APQ: ['status', 'end', 'occupation', 'gaps_closed', 'deadline'],
  ZAB: ['degree'],
  SCH: ['school'],
  MYS: ['myskills', 'test_lang', 'ratings'],
  KOMP: ['tool', 'basis'],
  PRA: ['status', 'end', 'hours', 'kind'],
  EQ: ['status', 'end', 'occupation', 'months', 'at_risk'],
  AUSB: ['status', 'end', 'occupation', 'final', 'at_risk'],
  ASA: ['status', 'end', 'phase'],
  MENT: ['status', 'end', 'programme'],
  BER: ['service', 'next'],
  JOB: ['status', 'end', 'occupation', 'hours_band'],
  REG: ['name', 'birth_year', 'evidence', 'card_key', 'literacy', 'qualification',
    'work_experience'],
};

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
