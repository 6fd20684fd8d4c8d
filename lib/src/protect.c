/*
 * protect.c - protected cards (lm_protect.h): the access code, the keys
 * derived from it, and the encrypted version 2 image.
 *
 * The byte layout and why AES-CTR without a MAC is enough are in
 * lm_protect.h and docs/format.md ("Format version 2").  Every mbed TLS
 * call is in crypto_mbedtls.c (lm_crypto.h); this file is plain C.
 */
#include "laufmappe/lm_protect.h"

#include <string.h>
#include <time.h>

#include "laufmappe/lm_cose.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_key.h"
#include "laufmappe/lm_util.h"
#include "lm_b64.h"
#include "lm_bytes.h"
#include "lm_cardplan.h"
#include "lm_crypto.h"

/* Crockford's base32 and, for values 32..36, its check symbols. */
static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";

#define CODE_DATA 11 /* characters of 5 bits: 55 bits */

/* The value of one typed character (after folding), or -1. */
static int code_val(char ch)
{
	if (ch >= 'a' && ch <= 'z')
		ch = (char)(ch - 'a' + 'A');
	if (ch == 'I' || ch == 'L')
		ch = '1';
	else if (ch == 'O')
		ch = '0';
	for (int v = 0; v < 37; v++)
		if (crockford[v] == ch)
			return v;
	return -1;
}

int lm_code_generate(char text[LM_CODE_TEXT_LEN + 1])
{
	char canon[LM_CODE_LEN + 1];
	uint64_t v;
	do {
		uint8_t r[7];
		int err = lm_random(r, sizeof(r));
		if (err)
			return err;
		v = 0;
		for (size_t i = 0; i < sizeof(r); i++)
			v = v << 8 | r[i];
		v &= (UINT64_C(1) << (5 * CODE_DATA)) - 1;
		lm_wipe(r, sizeof(r));
		/* Only letters and digits: a check value of 32..36 would need a symbol. */
	} while (v % 37 >= 32);
	for (int i = CODE_DATA - 1; i >= 0; i--)
		canon[i] = crockford[(v >> (5 * (CODE_DATA - 1 - i))) & 31];
	canon[CODE_DATA] = crockford[v % 37];
	canon[LM_CODE_LEN] = '\0';
	lm_code_display(canon, text);
	lm_wipe(canon, sizeof(canon));
	v = 0;
	return LM_OK;
}

int lm_code_parse(const char *typed, char canon[LM_CODE_LEN + 1])
{
	if (!typed)
		return LM_ERR_ARG;
	char c[LM_CODE_LEN + 1];
	int vals[LM_CODE_LEN];
	size_t n = 0;
	for (const char *p = typed; *p; p++) {
		if (*p == ' ' || *p == '-' || *p == '.' || *p == '\t')
			continue;
		int v = code_val(*p);
		if (v < 0 || n == LM_CODE_LEN)
			return LM_ERR_BAD_VALUE;
		vals[n] = v;
		c[n++] = crockford[v];
	}
	if (n != LM_CODE_LEN)
		return LM_ERR_BAD_VALUE;
	uint64_t v = 0;
	for (size_t i = 0; i < CODE_DATA; i++) {
		if (vals[i] >= 32)
			return LM_ERR_BAD_VALUE; /* a check symbol inside the code */
		v = v << 5 | (uint64_t)vals[i];
	}
	/* We never make codes whose check is a symbol: one typed is a typo. */
	int ok = vals[CODE_DATA] < 32 && (uint64_t)vals[CODE_DATA] == v % 37;
	v = 0;
	if (!ok) {
		lm_wipe(c, sizeof(c));
		return LM_ERR_CODE_TYPO;
	}
	c[LM_CODE_LEN] = '\0';
	if (canon)
		memcpy(canon, c, sizeof(c));
	lm_wipe(c, sizeof(c));
	return LM_OK;
}

void lm_code_display(const char canon[LM_CODE_LEN + 1], char text[LM_CODE_TEXT_LEN + 1])
{
	size_t o = 0;
	for (size_t i = 0; i < LM_CODE_LEN; i++) {
		if (i && i % 4 == 0)
			text[o++] = '-';
		text[o++] = canon[i];
	}
	text[o] = '\0';
}

int lm_protect_is_v2(const uint8_t *buf, size_t len)
{
	return len >= 3 && buf[0] == LM_CARD_MAGIC0 && buf[1] == LM_CARD_MAGIC1 &&
	       buf[2] == LM_PROTECT_VERSION;
}

int lm_protect_public_parse(const uint8_t *buf, size_t len, struct lm_protect_header *h)
{
	memset(h, 0, sizeof(*h));
	if (len < LM_PROTECT_PUBLIC_LEN)
		return LM_ERR_MALFORMED;
	if (buf[0] != LM_CARD_MAGIC0 || buf[1] != LM_CARD_MAGIC1)
		return LM_ERR_NOT_FORMATTED;
	if (buf[2] != LM_PROTECT_VERSION)
		return LM_ERR_VERSION;
	if (buf[3] != 0)
		return LM_ERR_UNSUPPORTED; /* a flag this version does not know */
	uint32_t units = lm_be16(buf + 20);
	if (units * LM_PROTECT_ITER_UNIT < LM_PROTECT_ITER_MIN)
		return LM_ERR_BAD_VALUE; /* a downgraded count is refused, not derived */
	h->flags = buf[3];
	h->iterations = units * LM_PROTECT_ITER_UNIT;
	memcpy(h->salt, buf + 4, LM_PROTECT_SALT_LEN);
	memcpy(h->check, buf + 22, LM_PROTECT_CHECK_LEN);
	return LM_OK;
}

int lm_protect_header_parse(const uint8_t *buf, size_t len, struct lm_protect_header *h)
{
	if (len < LM_PROTECT_HOLDER_OFF) {
		memset(h, 0, sizeof(*h));
		return LM_ERR_MALFORMED;
	}
	int err = lm_protect_public_parse(buf, len, h);
	if (err)
		return err;
	uint16_t n = lm_be16(buf + LM_PROTECT_COMMIT_OFF);
	if ((uint16_t)(n + lm_be16(buf + LM_PROTECT_COMMIT_OFF + 2)) != 0xffff ||
	    n % LM_CARD_ALIGN) {
		memset(h, 0, sizeof(*h));
		return LM_ERR_MALFORMED;
	}
	h->committed = n;
	return LM_OK;
}

int lm_protect_header_need(const uint8_t *buf, size_t len, size_t *need)
{
	struct lm_protect_header h;
	int err = lm_protect_header_parse(buf, len, &h);
	if (err)
		return err;
	*need = LM_PROTECT_HEADER_LEN + (size_t)h.committed;
	return LM_OK;
}

/* One purpose, one key: HKDF-SHA256(salt, master, "LM2 " label). */
static int subkey(const uint8_t salt[LM_PROTECT_SALT_LEN], const uint8_t master[32],
		  const char *label, uint8_t *out, size_t len)
{
	char info[32];
	size_t n = strlen(label);
	memcpy(info, "LM2 ", 4);
	memcpy(info + 4, label, n);
	return lm_hkdf_sha256(salt, LM_PROTECT_SALT_LEN, master, 32, (const uint8_t *)info, 4 + n,
			      out, len);
}

int lm_protect_derive(const char *code, const uint8_t salt[LM_PROTECT_SALT_LEN],
		      uint32_t iterations, struct lm_protect_keys *k)
{
	memset(k, 0, sizeof(*k));
	char canon[LM_CODE_LEN + 1];
	int err = lm_code_parse(code, canon);
	if (err)
		return err;
	if (iterations < LM_PROTECT_ITER_MIN || iterations > LM_PROTECT_ITER_MAX) {
		lm_wipe(canon, sizeof(canon));
		return LM_ERR_BAD_VALUE;
	}
	uint8_t master[32];
	err = lm_pbkdf2_sha256((const uint8_t *)canon, LM_CODE_LEN, salt, LM_PROTECT_SALT_LEN,
			       iterations, master, sizeof(master));
	lm_wipe(canon, sizeof(canon));
	if (!err)
		err = subkey(salt, master, "image", k->image, sizeof(k->image));
	if (!err)
		err = subkey(salt, master, "ntag pwd", k->ntag_pwd, sizeof(k->ntag_pwd));
	if (!err)
		err = subkey(salt, master, "ntag pack", k->ntag_pack, sizeof(k->ntag_pack));
	if (!err)
		err = subkey(salt, master, "applet", k->applet, sizeof(k->applet));
	if (!err)
		err = subkey(salt, master, "check", k->check, sizeof(k->check));
	lm_wipe(master, sizeof(master));
	memcpy(k->ctr, salt, sizeof(k->ctr));
	if (err)
		lm_protect_keys_wipe(k);
	return err;
}

int lm_protect_check(const struct lm_protect_header *h, const struct lm_protect_keys *k)
{
	uint8_t diff = 0;
	for (size_t i = 0; i < LM_PROTECT_CHECK_LEN; i++)
		diff |= (uint8_t)(h->check[i] ^ k->check[i]);
	for (size_t i = 0; i < sizeof(k->ctr); i++)
		diff |= (uint8_t)(h->salt[i] ^ k->ctr[i]);
	return diff ? LM_ERR_WRONG_CODE : LM_OK;
}

void lm_protect_keys_wipe(struct lm_protect_keys *k)
{
	lm_wipe(k, sizeof(*k));
}

void lm_protect_wipe(void *p, size_t len)
{
	lm_wipe(p, len);
}

/* CPU time of this thread: what a derivation costs, whatever else runs. */
static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int lm_protect_calibrate(unsigned target_ms, uint32_t *iterations)
{
	static const uint8_t pw[LM_CODE_LEN] = "000000000000", salt[LM_PROTECT_SALT_LEN] = {0};
	uint8_t out[32];
	uint32_t probe = LM_PROTECT_ITER_MIN;
	double ms = 0;
	/* Probe until one run is long enough to time (about 20 ms of CPU), then
	 * keep the fastest of three such runs. */
	for (int runs = 0; runs < 3;) {
		double t0 = cpu_ms();
		int err = lm_pbkdf2_sha256(pw, sizeof(pw), salt, sizeof(salt), probe, out,
					   sizeof(out));
		if (err)
			return err;
		double t = cpu_ms() - t0;
		if (t < 20 && probe < LM_PROTECT_ITER_MAX / 2) {
			probe *= 2;
			continue;
		}
		ms = runs++ == 0 || t < ms ? t : ms;
	}
	double want = (double)probe * (double)target_ms / (ms > 0.001 ? ms : 0.001);
	double units = want / LM_PROTECT_ITER_UNIT + 0.5;
	if (units < LM_PROTECT_ITER_MIN / LM_PROTECT_ITER_UNIT)
		units = LM_PROTECT_ITER_MIN / LM_PROTECT_ITER_UNIT;
	if (units > LM_PROTECT_ITER_MAX / LM_PROTECT_ITER_UNIT)
		units = LM_PROTECT_ITER_MAX / LM_PROTECT_ITER_UNIT;
	*iterations = (uint32_t)units * LM_PROTECT_ITER_UNIT;
	return LM_OK;
}

/* What both openers check first: the arguments and the public header. */
static int open_header(const uint8_t *img, size_t len, size_t capacity, struct lm_card *c,
		       struct lm_protect_header *h)
{
	memset(c, 0, sizeof(*c));
	if (capacity < LM_PROTECT_HEADER_LEN || capacity > LM_CARD_MAX || len > capacity)
		return LM_ERR_ARG;
	return lm_protect_header_parse(img, len, h);
}

int lm_protect_open(const uint8_t *img, size_t len, size_t capacity,
		    const struct lm_protect_keys *k, uint8_t *plain, struct lm_card *c,
		    uint8_t recovery[LM_RECOVERY_LEN])
{
	struct lm_protect_header h;
	int err = open_header(img, len, capacity, c, &h);
	if (err)
		return err;
	if (len < LM_PROTECT_HEADER_LEN)
		return LM_ERR_MALFORMED;
	if ((size_t)h.committed > capacity - LM_PROTECT_HEADER_LEN)
		return LM_ERR_MALFORMED;
	if ((size_t)h.committed > len - LM_PROTECT_HEADER_LEN)
		return LM_ERR_ARG; /* caller did not read the committed log */
	err = lm_protect_check(&h, k);
	if (err)
		return err;
	size_t end = LM_PROTECT_HEADER_LEN + (size_t)h.committed;
	if (plain != img)
		memmove(plain, img, end);
	err = lm_aes128_ctr_at(k->image, k->ctr, LM_PROTECT_HOLDER_OFF,
			       plain + LM_PROTECT_HOLDER_OFF, end - LM_PROTECT_HOLDER_OFF);
	if (err) {
		lm_wipe(plain, end);
		return err;
	}
	c->version = LM_PROTECT_VERSION;
	c->flags = h.flags;
	memcpy(c->holder, plain + LM_PROTECT_HOLDER_OFF, LM_HOLDER_LEN);
	c->committed = h.committed;
	c->capacity = capacity;
	c->log = plain + LM_PROTECT_HEADER_LEN;
	if (recovery)
		memcpy(recovery, plain + LM_PROTECT_HOLDER_OFF + LM_HOLDER_LEN, LM_RECOVERY_LEN);
	return LM_OK;
}

int lm_protect_open_code(const uint8_t *img, size_t len, size_t capacity, const char *code,
			 uint8_t *plain, struct lm_card *c, uint8_t recovery[LM_RECOVERY_LEN],
			 struct lm_protect_keys *keys)
{
	struct lm_protect_header h;
	int err = open_header(img, len, capacity, c, &h);
	if (err)
		return err;
	struct lm_protect_keys k;
	err = lm_protect_derive(code, h.salt, h.iterations, &k);
	if (!err)
		err = lm_protect_open(img, len, capacity, &k, plain, c, recovery);
	if (!err && keys)
		memcpy(keys, &k, sizeof(k));
	lm_protect_keys_wipe(&k);
	return err;
}

int lm_protect_plan_format(size_t capacity, const uint8_t holder[LM_HOLDER_LEN], const char *code,
			   const uint8_t recovery[LM_RECOVERY_LEN], uint32_t iterations,
			   struct lm_protect_plan *plan, struct lm_protect_keys *keys,
			   uint8_t recovery_out[LM_RECOVERY_LEN])
{
	memset(plan, 0, sizeof(*plan));
	if (capacity > LM_CARD_MAX || iterations % LM_PROTECT_ITER_UNIT)
		return LM_ERR_ARG;
	if (capacity < LM_PROTECT_HEADER_LEN)
		return LM_ERR_CARD_FULL;
	uint8_t *d = plan->data, salt[LM_PROTECT_SALT_LEN];
	int err = lm_random(salt, sizeof(salt));
	if (err)
		return err;
	struct lm_protect_keys k;
	err = lm_protect_derive(code, salt, iterations, &k);
	if (err)
		return err;
	d[0] = LM_CARD_MAGIC0;
	d[1] = LM_CARD_MAGIC1;
	d[2] = LM_PROTECT_VERSION;
	d[3] = 0;
	memcpy(d + 4, salt, sizeof(salt));
	lm_put_be16(d + 20, (uint16_t)(iterations / LM_PROTECT_ITER_UNIT));
	memcpy(d + 22, k.check, LM_PROTECT_CHECK_LEN);
	memcpy(d + LM_PROTECT_HOLDER_OFF, holder, LM_HOLDER_LEN);
	uint8_t *secret = d + LM_PROTECT_HOLDER_OFF + LM_HOLDER_LEN;
	if (recovery)
		memcpy(secret, recovery, LM_RECOVERY_LEN);
	else
		err = lm_random(secret, LM_RECOVERY_LEN);
	if (!err && recovery_out)
		memcpy(recovery_out, secret, LM_RECOVERY_LEN);
	if (!err)
		err = lm_aes128_ctr_at(k.image, k.ctr, LM_PROTECT_HOLDER_OFF,
				       d + LM_PROTECT_HOLDER_OFF,
				       LM_PROTECT_HEADER_LEN - LM_PROTECT_HOLDER_OFF);
	if (!err && keys)
		memcpy(keys, &k, sizeof(k));
	lm_protect_keys_wipe(&k);
	if (err) {
		lm_wipe(plan, sizeof(*plan));
		return err;
	}
	struct lm_card_plan *p = &plan->card;
	p->w[p->n++] = (struct lm_card_write){0, d, LM_PROTECT_PUBLIC_LEN};
	p->w[p->n++] = (struct lm_card_write){LM_PROTECT_HOLDER_OFF, d + LM_PROTECT_HOLDER_OFF,
					      LM_PROTECT_HEADER_LEN - LM_PROTECT_HOLDER_OFF};
	lm_put_be16(p->commit, 0);
	lm_put_be16(p->commit + 2, 0xffff);
	p->w[p->n++] = (struct lm_card_write){LM_PROTECT_COMMIT_OFF, p->commit, 4};
	p->new_committed = 0;
	return LM_OK;
}

int lm_protect_plan_append(const struct lm_card *c, const struct lm_protect_keys *k,
			   const uint8_t *entry, size_t len, struct lm_protect_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	if (c->version != LM_PROTECT_VERSION || c->capacity < LM_PROTECT_HEADER_LEN ||
	    c->committed > c->capacity - LM_PROTECT_HEADER_LEN)
		return LM_ERR_ARG;
	size_t total;
	int err = cardplan_room(c, entry, len, &total);
	if (err)
		return err;
	uint32_t at = LM_PROTECT_HEADER_LEN + c->committed;
	memcpy(plan->data, entry, len); /* the padding stays zero (memset) */
	err = lm_aes128_ctr_at(k->image, k->ctr, at, plan->data, total);
	if (err) {
		lm_wipe(plan, sizeof(*plan));
		return err;
	}
	struct lm_card_plan *p = &plan->card;
	p->w[p->n++] = (struct lm_card_write){at, plan->data, (uint32_t)total};
	cardplan_commit(p, LM_PROTECT_COMMIT_OFF, c->committed + total);
	return LM_OK;
}

#define RECOVERY_PREFIX "LMR1:"

void lm_protect_recovery_text(const uint8_t holder[LM_HOLDER_LEN],
			      const uint8_t secret[LM_RECOVERY_LEN],
			      char out[LM_RECOVERY_TEXT_LEN + 1])
{
	memcpy(out, RECOVERY_PREFIX, 5);
	lm_hex_encode(holder, LM_HOLDER_LEN, out + 5);
	out[5 + 2 * LM_HOLDER_LEN] = ':';
	char *end = lm_b64url_put(out + 6 + 2 * LM_HOLDER_LEN, secret, LM_RECOVERY_LEN);
	*end = '\0';
}

int lm_protect_recovery_parse(const char *text, uint8_t holder[LM_HOLDER_LEN],
			      uint8_t secret[LM_RECOVERY_LEN])
{
	const char *p = text;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (strncmp(p, RECOVERY_PREFIX, 5) != 0)
		return LM_ERR_MALFORMED;
	p += 5;
	char hex[2 * LM_HOLDER_LEN + 1];
	if (strnlen(p, sizeof(hex)) < 2 * LM_HOLDER_LEN + 1 || p[2 * LM_HOLDER_LEN] != ':')
		return LM_ERR_MALFORMED;
	memcpy(hex, p, 2 * LM_HOLDER_LEN);
	hex[2 * LM_HOLDER_LEN] = '\0';
	if (lm_hex_decode(hex, holder, LM_HOLDER_LEN) != LM_OK)
		return LM_ERR_MALFORMED;
	p += 2 * LM_HOLDER_LEN + 1;
	size_t n = strcspn(p, " \t\r\n"), got = 0;
	for (const char *q = p + n; *q; q++)
		if (!strchr(" \t\r\n", *q))
			return LM_ERR_MALFORMED;
	uint8_t tmp[LM_RECOVERY_LEN];
	if (lm_b64url_get(p, n, tmp, sizeof(tmp), &got) != LM_OK || got != LM_RECOVERY_LEN)
		return LM_ERR_MALFORMED;
	memcpy(secret, tmp, LM_RECOVERY_LEN);
	lm_wipe(tmp, sizeof(tmp));
	return LM_OK;
}
