// staff.js - staff sign-in (docs/desk.md, "Staff sign-in"): who is signed
// in at this desk, the sign-in form (name and PIN) and sign-out.  The
// session lives in an HttpOnly cookie the page never sees; a browser not
// set up as this terminal (the one-time setup link) gets no form at all.

import { t } from './i18n.js';
import { h } from './render.js';
import { getSession, signIn, signOut } from './api.js';
import { announce } from './live.js';

let session = null; // GET /api/session, or null before the first answer

// Staff sign in here; a write answered "signed out" (401) comes back here too.
export async function buildStaff(section) {
  try { session = await getSession(); } catch { session = null; }
  renderStaff(section);
}

function renderStaff(section) {
  section.replaceChildren();
  const setupInvalid = new URLSearchParams(location.search).get('setup') === 'invalid';
  if (setupInvalid) {
    section.append(h('p', { class: 'form-result bad', id: 's-setup', role: 'alert' }, t('staff.setup_invalid')));
  }
  if (!session) return;
  if (!session.terminal && !session.staff) {
    section.append(h('p', { class: 'hint', id: 's-not-terminal' }, t('staff.not_terminal')));
    return;
  }
  if (session.staff) {
    const out = h('button', { type: 'button', id: 's-signout' }, t('staff.signout'));
    out.addEventListener('click', async () => {
      await signOut();
      await buildStaff(section);
    });
    section.append(h('p', { class: 'staff-who' },
      h('span', { id: 's-who' }, t('staff.who', { name: session.staff })), ' ', out));
    return;
  }
  const name = h('input', { id: 's-name', name: 'username', type: 'text', autocomplete: 'username', dir: 'auto' });
  const pin = h('input', {
    id: 's-pin', name: 'pin', type: 'password', autocomplete: 'off', inputmode: 'numeric', dir: 'ltr',
  });
  // On screen; live.js says it aloud (no form inside a live region).
  const result = h('p', { class: 'form-result', id: 's-result' });
  const submit = h('button', { type: 'submit', id: 's-submit', class: 'primary' }, t('staff.submit'));
  const form = h('form', { id: 'staff-form', novalidate: true, autocomplete: 'off' },
    h('div', { class: 'form-row' }, h('label', { for: 's-name' }, t('staff.name')), name),
    h('div', { class: 'form-row' }, h('label', { for: 's-pin' }, t('staff.pin')), pin),
    submit, result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const p = pin.value;
    pin.value = ''; // sent once, kept nowhere in the page
    submit.disabled = true;
    const res = await signIn(name.value.trim(), p);
    submit.disabled = false;
    if (res.ok) { await buildStaff(section); return; }
    const code = (res.body && res.body.error && res.body.error.code) || '';
    result.className = 'form-result bad';
    result.textContent = code === 'too_many_tries'
      ? t('staff.err.wait', { n: res.body.error.wait ?? 60 })
      : code === 'wrong_pin' ? t('staff.err.wrong')
        : code === 'not_terminal' ? t('staff.not_terminal')
          : t('form.err.other', { code: code || res.status });
    announce(result.textContent, true);
    pin.focus();
  });
  section.append(h('h2', {}, t('staff.title')), form);
}

// A write was refused as signed out (the idle time passed): say so in the
// form's own words and show the sign-in form again.
export function signedOut(res) {
  const code = res && res.body && res.body.error && res.body.error.code;
  if (res.status !== 401 || (code && code !== 'signed_out' && code !== 'unauthorized')) return false;
  window.dispatchEvent(new Event('lm-signed-out'));
  return true;
}
