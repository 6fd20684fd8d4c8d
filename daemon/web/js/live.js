// live.js - what a screen reader says when something happens that the user
// did not do on the page, or that ends later: a card tapped or taken away,
// a write's answer.  Two regions in index.html (polite for news, assertive
// for failures); the banners and result lines stay out of live regions, so
// nothing is said twice and no form sits inside a live region.

let last = { text: '', at: 0 };

// Say TEXT; urgent for failures.  The region is emptied first and filled a
// moment later, so the same words after a new event are said again; the
// same words twice in one second (a result line and its banner) are not.
export function announce(text, urgent = false) {
  const now = Date.now();
  if (!text || (text === last.text && now - last.at < 1000)) return;
  last = { text, at: now };
  const el = document.getElementById(urgent ? 'live-alert' : 'live-status');
  if (!el) return;
  el.textContent = '';
  setTimeout(() => { el.textContent = text; }, 50);
}
