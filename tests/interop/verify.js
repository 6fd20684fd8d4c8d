// Verifies the Laufmappe test vectors with an independent COSE
// implementation (cose-js, pinned in package-lock.json), given only each
// issuer's public key and the holder id as external_aad.  Also checks that
// cose-js rejects a tampered entry and an entry bound to another holder.
// And an independent CBOR codec (node-cbor, cose-js's own dependency) reads
// every payload as the format says, booleans as `true`, and writes the same
// bytes back from the JavaScript values (an outside issuer's encoder gives
// our encoding).
// Usage: node verify.js VECTORS_DIR   (prints "N passed, N failed")
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const cose = require('cose-js');
const cbor = require('cbor');

// The boolean fields of docs/format.md (lib/src/entry.c, LM_KIND_BOOL).
const BOOL_KEYS = new Set([13, 24, 41, 48]);

const dir = process.argv[2];
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json')));
const holderA = Buffer.from(manifest.holder_a, 'hex');
const holderB = Buffer.from(manifest.holder_b, 'hex');

function verifier(pubFile, aad) {
  const jwk = crypto.createPublicKey(fs.readFileSync(path.join(dir, pubFile))).export({ format: 'jwk' });
  return {
    key: { x: Buffer.from(jwk.x, 'base64url'), y: Buffer.from(jwk.y, 'base64url') },
    externalAAD: aad,
  };
}

async function accepts(bytes, v) {
  try {
    await cose.sign.verify(bytes, v, { defaultType: cose.sign.Sign1Tag });
    return true;
  } catch (e) {
    return false;
  }
}

(async () => {
  let passed = 0, failed = 0;
  const check = (ok, what) => {
    if (ok) passed++; else { failed++; console.log('FAIL: ' + what); }
  };
  // Every signature the C verifier calls genuine must verify here too.
  const genuine = new Set(['valid', 'type_not_allowed', 'key_not_valid', 'unknown_issuer']);
  for (const v of manifest.vectors) {
    if (!genuine.has(v.expect) && v.expect !== 'bad_signature' && v.expect !== 'wrong_holder') continue;
    const bytes = fs.readFileSync(path.join(dir, v.file));
    const ok = await accepts(bytes, verifier(v.issuer, holderA));
    check(ok === genuine.has(v.expect), `${v.file}: cose-js ${ok ? 'accepts' : 'rejects'}, we say ${v.expect}`);
    if (v.expect === 'wrong_holder')
      check(await accepts(bytes, verifier(v.issuer, holderB)), `${v.file}: verifies for its own holder`);
  }
  // Card-form entries (as stored on the card) from the image.
  for (const { file: f, issuer } of manifest.card_entries) {
    const bytes = fs.readFileSync(path.join(dir, f));
    check(await accepts(bytes, verifier(issuer, holderA)), `${f}: card form verifies`);
    check(!(await accepts(bytes, verifier(issuer, holderB))), `${f}: refused for another holder`);
    const t = Buffer.from(bytes);
    t[20] ^= 0x01; // a payload byte
    check(!(await accepts(t, verifier(issuer, holderA))), `${f}: tampered copy refused`);
  }
  // Payloads through node-cbor: booleans are true, and a canonical encoding
  // of the decoded JavaScript values gives our payload bytes exactly.
  let bools = 0;
  for (const v of manifest.vectors) {
    if (v.expect === 'malformed') continue;
    const sign1 = cbor.decodeFirstSync(fs.readFileSync(path.join(dir, v.file)));
    const payload = sign1[2];
    const map = cbor.decodeFirstSync(payload, { preferMap: true });
    for (const [k, val] of map) {
      if (BOOL_KEYS.has(k)) {
        bools++;
        check(val === true, `${v.file}: boolean field ${k} reads as ${JSON.stringify(val)}, want true`);
      } else {
        check(typeof val !== 'boolean', `${v.file}: field ${k} is a boolean`);
      }
    }
    check(Buffer.compare(cbor.encodeCanonical(map), payload) === 0,
      `${v.file}: node-cbor writes the payload differently`);
  }
  check(bools >= 3, `only ${bools} boolean fields in the vectors`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
