// rules.js - "what comes next": evaluates rules/next-steps.json (domain.md
// R1-R15 as data) over the entries on the card.  Only entries whose
// signature verified count as facts; a forged "B1" must not advance anyone.
//
// Condition forms (see the file's "about"):
//   {"has": T | [T...], "where": {...}}  some valid entry matches; those
//                                        entries become reasons
//   {"none": T | [T...], "where": {...}} no valid entry matches; the types
//                                        become "not yet on the card" reasons
//   {"age": {"min": a, "max": b}}        from the REG entry's birth year
//   {"all": [...]}, {"any": [...]}

function list(x) {
  return Array.isArray(x) ? x : [x];
}

// One field test: a value, a list of allowed values, or a {min, max} range.
function fieldMatches(actual, want) {
  if (Array.isArray(want)) return want.includes(actual);
  if (want !== null && typeof want === 'object') {
    if (typeof actual !== 'number') return false;
    return (want.min === undefined || actual >= want.min) &&
      (want.max === undefined || actual <= want.max);
  }
  return actual === want;
}

function matching(facts, cond, types) {
  const where = cond.where || {};
  return facts.filter((e) => list(types).includes(e.type) &&
    Object.entries(where).every(([f, want]) => fieldMatches((e.fields || {})[f], want)));
}

// Returns null when the condition is false, else {entries, absent}.
function evaluate(cond, facts, year) {
  if (cond.all) {
    const r = { entries: [], absent: [] };
    for (const c of cond.all) {
      const sub = evaluate(c, facts, year);
      if (!sub) return null;
      r.entries.push(...sub.entries);
      r.absent.push(...sub.absent);
    }
    return r;
  }
  if (cond.any) {
    let r = null;
    for (const c of cond.any) {
      const sub = evaluate(c, facts, year);
      if (sub) {
        r = r || { entries: [], absent: [] };
        r.entries.push(...sub.entries);
        r.absent.push(...sub.absent);
      }
    }
    return r;
  }
  if (cond.has) {
    const m = matching(facts, cond, cond.has);
    return m.length ? { entries: m, absent: [] } : null;
  }
  if (cond.none) {
    return matching(facts, cond, cond.none).length ? null
      : { entries: [], absent: list(cond.none) };
  }
  if (cond.age) {
    const reg = facts.find((e) => e.type === 'REG' && e.fields && e.fields.birth_year);
    if (!reg) return null;
    // Only the birth year is on the card (data minimisation), so the age is
    // the one this person reaches in the current year.
    const age = year - reg.fields.birth_year;
    return fieldMatches(age, cond.age) ? { entries: [reg], absent: [] } : null;
  }
  return null; // an unknown condition never fires: better silent than wrong
}

// -> [{id, suggest, entries: [entry...], absent: [type...]}]
export function nextSteps(ruleset, entries, now = new Date()) {
  const facts = entries.filter((e) => e.verdict === 'valid');
  const out = [];
  for (const rule of ruleset.rules || []) {
    const r = evaluate(rule.when || {}, facts, now.getUTCFullYear());
    if (!r) continue;
    out.push({
      id: rule.id,
      suggest: rule.suggest,
      entries: [...new Set(r.entries)],
      absent: [...new Set(r.absent)],
    });
  }
  return out;
}
