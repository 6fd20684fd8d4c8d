/*
 * lm_applet.c - the Laufmappe card applet; see lm_applet.h for the API and
 * docs/applet.md for the APDUs and the tear-safety argument.
 *
 * Journal (the first LM_APPLET_REF_OFFSET bytes of the NVM):
 *   0      state byte: J_COMMITTED while a committed transaction is being
 *          applied to the image, anything else when idle
 *   1..3   reserved (0)
 *   4..5   record bytes of the committed transaction, u16 BE
 *   6..7   bitwise complement of 4..5
 *   8..    records, back to back (at most J_RECORDS_MAX bytes):
 *            [0] type (REC_WRITE, REC_ZERO)  [1] target (REC_IMAGE, REC_REF)
 *            [2..3] offset u16 BE            [4..5] length u16 BE
 *            [6..]  length data bytes (REC_WRITE only)
 *
 * Reference block (LM_APPLET_REF_SIZE bytes at LM_APPLET_REF_OFFSET, the
 * end of the journal area), for protected cards:
 *   0      R_SET when a reference is set; any other value: none (unprotected)
 *   1      tries left, 0 .. LM_REF_TRIES (0 = blocked; larger values read as 0)
 *   2..3   reserved (0)
 *   4..19  the reference: the 16-byte VERIFY value
 *
 * UPDATE appends a record while the state is idle; the open transaction's
 * length lives only in RAM (a->staged), so a power loss forgets it.  COMMIT
 * writes the record length (4..7), then the state byte (the commit point,
 * one byte: atomic under the prefix write model of lm_nvm.h), applies the
 * records to their target and finally clears the state byte.  Records hold
 * absolute bytes, so applying them again from the start after a power loss
 * gives the same result (idempotent replay).  Setting a reference (CHANGE
 * REFERENCE DATA) and clearing it (WIPE) are records of a transaction like
 * any other, so they land with the image writes of the same transaction, all
 * or nothing.  Only the tries byte is written outside the journal: VERIFY
 * stores the decremented count in one single-byte (atomic) write BEFORE it
 * compares, so a card pulled during VERIFY never gives a free try.
 */
#include "lm_applet.h"

#include <string.h>

const uint8_t lm_applet_aid[LM_APPLET_AID_LEN] = {LM_APPLET_AID_BYTES};

#define J_STATE 0u
#define J_LENGTH 4u
#define J_RECORDS 8u
#define J_RECORDS_MAX (LM_APPLET_DIGEST_OFFSET - J_RECORDS)
/* Journal bytes every transaction keeps free for its digest record. */
#define J_DIGEST_RESERVE (REC_HEADER + LM_APPLET_DIGEST_SIZE)
#define J_COMMITTED 0xA5u
#define J_IDLE 0x00u

#define REC_HEADER 6u
#define REC_WRITE 0x01u
#define REC_ZERO 0x02u
#define REC_IMAGE 0x00u /* record byte 1: the offset is in the image */
#define REC_REF 0x01u   /* ... in the reference block */
#define REC_DIGEST 0x02u /* ... in the log digest block */

#define R_MARK 0u
#define R_TRIES 1u
#define R_VALUE 4u
#define R_SET 0xC3u

#define CHUNK 64u /* bytes per NVM write while applying; RAM buffer size */

/* A parsed command APDU.  lc = 0 means no data; le = 0 means no Le field. */
struct apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data; /* points into the caller's APDU, lc bytes */
	uint32_t lc;         /* 0 .. 65535 */
	uint32_t le;         /* 0 (absent), or 1 .. 65536 */
};

/* Big-endian helpers: byte by byte, no unaligned access. */
static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(((uint16_t)p[0] << 8) | p[1]);
}

static void put_u16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Forget the open transaction (its records stay in the journal, unreferenced). */
static void drop_tx(struct lm_applet *a)
{
	a->staged = 0;
	a->staged_ref = 0;
}

/* Overwrite a RAM copy of a reference (volatile: the stores are not optimised away). */
static void forget(uint8_t *p, uint32_t n)
{
	volatile uint8_t *v = p;

	while (n-- > 0)
		*v++ = 0;
}

/*
 * Record an NVM failure: the open transaction and the verified state are
 * dropped, and the next APDU first runs recovery (as a power-on would)
 * before it is processed.
 */
static void nvm_failed(struct lm_applet *a)
{
	drop_tx(a);
	a->verified = 0;
	a->broken = 1;
}

/* Read len bytes at NVM offset off.  0 ok, -1 on failure (noted). */
static int nvm_read(struct lm_applet *a, uint32_t off, uint8_t *buf, uint32_t len)
{
	if (len == 0)
		return 0;
	if (a->nvm->read(a->nvm->ctx, off, buf, len) < 0) {
		nvm_failed(a);
		return -1;
	}
	return 0;
}

/* Write len bytes at NVM offset off.  0 ok, -1 on failure (noted). */
static int nvm_write(struct lm_applet *a, uint32_t off, const uint8_t *buf, uint32_t len)
{
	if (len == 0)
		return 0;
	if (a->nvm->write(a->nvm->ctx, off, buf, len) < 0) {
		nvm_failed(a);
		return -1;
	}
	return 0;
}

/* Write the journal state byte (one byte: atomic). */
static int set_state(struct lm_applet *a, uint8_t state)
{
	return nvm_write(a, J_STATE, &state, 1);
}

/*
 * Walk the `used` record bytes of the journal.  With apply = 0 only check
 * that every record is well-formed and inside its target (the image or the
 * reference block); with apply = 1 also write each record to its target, in
 * order, in CHUNK-sized NVM writes.
 * Returns 0, -1 on an NVM failure, -2 on a malformed journal.
 */
static int walk_records(struct lm_applet *a, uint32_t used, int apply)
{
	uint8_t buf[CHUNK];
	uint32_t pos = 0;

	while (pos < used) {
		uint32_t type, off, len, done, base = LM_APPLET_JOURNAL_SIZE, limit = a->capacity;

		if (used - pos < REC_HEADER)
			return -2;
		if (nvm_read(a, J_RECORDS + pos, buf, REC_HEADER) != 0)
			return -1;
		type = buf[0];
		off = get_u16(buf + 2);
		len = get_u16(buf + 4);
		pos += REC_HEADER;
		if (buf[1] == REC_REF) {
			base = LM_APPLET_REF_OFFSET;
			limit = LM_APPLET_REF_SIZE;
		} else if (buf[1] == REC_DIGEST) {
			base = LM_APPLET_DIGEST_OFFSET;
			limit = LM_APPLET_DIGEST_SIZE;
		} else if (buf[1] != REC_IMAGE) {
			return -2;
		}
		if (off > limit || len > limit - off)
			return -2;
		if (type == REC_WRITE && len > used - pos)
			return -2;
		if (type != REC_WRITE && type != REC_ZERO)
			return -2;
		for (done = 0; apply && done < len; done += CHUNK) {
			uint32_t n = len - done < CHUNK ? len - done : CHUNK;

			if (type == REC_WRITE) {
				if (nvm_read(a, J_RECORDS + pos + done, buf, n) != 0)
					return -1;
			} else {
				memset(buf, 0, n);
			}
			if (nvm_write(a, base + off + done, buf, n) != 0)
				return -1;
		}
		if (type == REC_WRITE)
			pos += len;
	}
	return 0;
}

/*
 * Bring the NVM to a consistent state: when the journal's state byte says a
 * committed transaction was being applied, validate and apply it again, then
 * mark the journal idle.  A committed journal that does not validate cannot
 * arise under the write model (its bytes landed before the state byte); it is
 * dropped rather than leaving the card unusable.  Clears a->broken on
 * success.  Returns 0 or -1 (NVM failure).
 */
static int recover(struct lm_applet *a)
{
	uint8_t hdr[J_RECORDS];
	uint32_t used;
	int rc;

	drop_tx(a);
	if (nvm_read(a, 0, hdr, J_RECORDS) != 0)
		return -1;
	if (hdr[J_STATE] == J_COMMITTED) {
		used = get_u16(hdr + J_LENGTH);
		rc = -2;
		if ((uint16_t)~used == get_u16(hdr + J_LENGTH + 2) && used <= J_RECORDS_MAX) {
			rc = walk_records(a, used, 0);
			if (rc == 0)
				rc = walk_records(a, used, 1);
		}
		if (rc == -1 || set_state(a, J_IDLE) != 0)
			return -1;
	}
	a->broken = 0;
	return 0;
}

/* --- the log digest (GET DATA 0004) ------------------------------------ */

/* SHA-256 (FIPS 180-4), streaming, small: the 64 round constants, a 16-word
 * rolling schedule, no tables beyond them. */
struct sha256 {
	uint32_t h[8];
	uint8_t buf[64];
	uint32_t len; /* bytes hashed (a card holds far less than 512 MB) */
};

static const uint32_t sha_k[64] = {
	0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u,
	0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu,
	0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu,
	0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
	0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
	0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
	0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u,
	0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
	0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u,
	0xc67178f2u};

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32u - n));
}

static void sha_block(struct sha256 *c, const uint8_t *p)
{
	uint32_t w[16], v[8], t1, t2, s0, s1;
	unsigned i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	memcpy(v, c->h, sizeof(v));
	for (i = 0; i < 64; i++) {
		if (i >= 16) {
			s0 = ror(w[(i + 1) & 15], 7) ^ ror(w[(i + 1) & 15], 18) ^ (w[(i + 1) & 15] >> 3);
			s1 = ror(w[(i + 14) & 15], 17) ^ ror(w[(i + 14) & 15], 19) ^
			     (w[(i + 14) & 15] >> 10);
			w[i & 15] += s0 + s1 + w[(i + 9) & 15];
		}
		t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) +
		     ((v[4] & v[5]) ^ (~v[4] & v[6])) + sha_k[i] + w[i & 15];
		t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) +
		     ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		c->h[i] += v[i];
}

static void sha_init(struct sha256 *c)
{
	static const uint32_t iv[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
				       0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
}

static void sha_update(struct sha256 *c, const uint8_t *p, uint32_t n)
{
	while (n-- > 0) {
		c->buf[c->len++ % 64u] = *p++;
		if (c->len % 64u == 0)
			sha_block(c, c->buf);
	}
}

static void sha_final(struct sha256 *c, uint8_t out[32])
{
	uint32_t bits = c->len * 8u, i, fill = c->len % 64u;
	uint8_t tail[8] = {0, 0, 0, 0, (uint8_t)(bits >> 24), (uint8_t)(bits >> 16),
			   (uint8_t)(bits >> 8), (uint8_t)bits};

	c->buf[fill++] = 0x80;
	if (fill > 56) {
		memset(c->buf + fill, 0, 64 - fill);
		sha_block(c, c->buf);
		fill = 0;
	}
	memset(c->buf + fill, 0, 56 - fill);
	memcpy(c->buf + 56, tail, 8);
	sha_block(c, c->buf);
	for (i = 0; i < 8; i++)
		put_u32(out + 4 * i, c->h[i]);
}

/*
 * Image bytes [off, off+n) as they will be once the open transaction lands:
 * the committed image with the staged records laid over it, in order.
 * Returns 0 or -1 (NVM failure).
 */
static int staged_read(struct lm_applet *a, uint32_t off, uint8_t *buf, uint32_t n)
{
	uint8_t h[REC_HEADER];
	uint32_t pos = 0;

	if (nvm_read(a, LM_APPLET_JOURNAL_SIZE + off, buf, n) != 0)
		return -1;
	while (pos + REC_HEADER <= a->staged) {
		uint32_t roff, rlen, from, to;

		if (nvm_read(a, J_RECORDS + pos, h, REC_HEADER) != 0)
			return -1;
		roff = get_u16(h + 2);
		rlen = get_u16(h + 4);
		from = roff > off ? roff : off;
		to = roff + rlen < off + n ? roff + rlen : off + n;
		if (h[1] == REC_IMAGE && from < to) {
			if (h[0] == REC_ZERO)
				memset(buf + (from - off), 0, to - from);
			else if (nvm_read(a, J_RECORDS + pos + REC_HEADER + (from - roff),
					  buf + (from - off), to - from) != 0)
				return -1;
		}
		pos += REC_HEADER + (h[0] == REC_WRITE ? rlen : 0u);
	}
	return 0;
}

/* Image bytes, committed (staged = 0) or as the open transaction will leave them. */
static int image_read(struct lm_applet *a, int staged, uint32_t off, uint8_t *buf, uint32_t n)
{
	return staged ? staged_read(a, off, buf, n)
		      : nvm_read(a, LM_APPLET_JOURNAL_SIZE + off, buf, n);
}

/* The committed image's shape, from its header (read_layout). */
struct layout {
	uint32_t version;   /* 1 or 2 when formatted (magic, version, commit word), else 0 */
	uint32_t commit;    /* image offset of the commit word */
	uint32_t log;       /* image offset where the log starts */
	uint32_t committed; /* committed log bytes (when formatted) */
};

/*
 * Read the image header: a version 1 image has its commit word at 4 and its
 * log at 24, a version 2 image (which needs capacity >= 60) at 24 and 60.
 * Formatted means magic, a known version and the commit word's complement.
 * With staged, the image as the open transaction will leave it.
 * Returns 0 or -1 (NVM failure).
 */
static int layout_of(struct lm_applet *a, int staged, struct layout *l)
{
	uint8_t h[8];
	uint32_t committed, v2;

	l->version = 0;
	l->commit = LM_IMAGE_COMMIT_OFFSET;
	l->log = LM_IMAGE_HEADER_SIZE;
	l->committed = 0;
	if (image_read(a, staged, 0, h, sizeof(h)) != 0)
		return -1;
	v2 = h[2] == LM_IMAGE_FORMAT_VERSION_2 && a->capacity >= LM_IMAGE_V2_HEADER_SIZE;
	if (h[0] != LM_IMAGE_MAGIC0 || h[1] != LM_IMAGE_MAGIC1 ||
	    (h[2] != LM_IMAGE_FORMAT_VERSION && !v2))
		return 0;
	if (v2 && image_read(a, staged, LM_IMAGE_V2_COMMIT_OFFSET, h + 4, 4) != 0)
		return -1;
	committed = get_u16(h + 4);
	if ((uint16_t)~committed != get_u16(h + 6))
		return 0;
	l->version = h[2];
	l->committed = committed;
	if (v2) {
		l->commit = LM_IMAGE_V2_COMMIT_OFFSET;
		l->log = LM_IMAGE_V2_HEADER_SIZE;
	}
	return 0;
}

static int read_layout(struct lm_applet *a, struct layout *l)
{
	return layout_of(a, 0, l);
}

static int read_layout_staged(struct lm_applet *a, struct layout *l)
{
	return layout_of(a, 1, l);
}

/*
 * The open transaction's digest record: the log digest block as it must be
 * when the transaction has landed, staged with it, so the block and the
 * commit word change together or not at all (the journal's atomicity).
 * The chain: zero at format (32 zero bytes, length 0); a commit that grows
 * the committed log from a to b bytes makes it SHA-256(chain || log[a..b));
 * an unformatted image has the zero block.  A block that does not cover
 * the old committed length (a card from before this block existed) starts
 * the chain afresh over the whole log.  Returns 0 or -1 (NVM failure).
 */
static int stage_digest(struct lm_applet *a)
{
	uint8_t blk[LM_APPLET_DIGEST_SIZE], was[LM_APPLET_DIGEST_SIZE], chunk[CHUNK];
	uint8_t rec[REC_HEADER] = {REC_WRITE, REC_DIGEST, 0, 0, 0, LM_APPLET_DIGEST_SIZE};
	struct layout old, now;
	struct sha256 c;
	uint32_t from = 0, pos, n;

	if (read_layout(a, &old) != 0 || read_layout_staged(a, &now) != 0 ||
	    nvm_read(a, LM_APPLET_DIGEST_OFFSET, was, sizeof(was)) != 0)
		return -1;
	/* An unformatted image written with any commit word may claim more
	 * than the card holds: no chain for it (the block stays zero). */
	if (now.version && now.committed > a->capacity - now.log)
		now.version = 0;
	memcpy(blk, was, sizeof(blk));
	if (!now.version || !old.version || old.version != now.version ||
	    get_u16(was) != old.committed || now.committed < old.committed)
		memset(blk, 0, sizeof(blk));
	else
		from = old.committed;
	if (now.version && now.committed > from) {
		sha_init(&c);
		sha_update(&c, blk + 4, 32);
		for (pos = from; pos < now.committed; pos += n) {
			n = now.committed - pos < CHUNK ? now.committed - pos : CHUNK;
			if (staged_read(a, now.log + pos, chunk, n) != 0)
				return -1;
			sha_update(&c, chunk, n);
		}
		sha_final(&c, blk + 4);
	}
	put_u16(blk, now.version ? now.committed : 0);
	if (memcmp(blk, was, sizeof(blk)) == 0)
		return 0; /* nothing new: no record */
	if (nvm_write(a, J_RECORDS + a->staged, rec, REC_HEADER) != 0 ||
	    nvm_write(a, J_RECORDS + a->staged + REC_HEADER, blk, sizeof(blk)) != 0)
		return -1;
	a->staged += J_DIGEST_RESERVE;
	return 0;
}

/*
 * Commit the open transaction (a->staged record bytes, at least one record):
 * length first, then the state byte (the commit point), apply, then idle.
 * A transaction that set a new reference leaves the session verified (the
 * host just proved it knows the value).  Returns 0 or -1 (NVM failure;
 * recovery finishes or forgets the commit).
 */
static int commit_staged(struct lm_applet *a)
{
	uint8_t len[4];
	uint32_t used = a->staged;
	uint8_t sets_ref = a->staged_ref;

	if (stage_digest(a) != 0)
		return -1;
	used = a->staged;
	put_u16(len, used);
	put_u16(len + 2, (uint16_t)~used);
	if (nvm_write(a, J_LENGTH, len, sizeof(len)) != 0 || set_state(a, J_COMMITTED) != 0)
		return -1;
	drop_tx(a);
	if (walk_records(a, used, 1) != 0) {
		nvm_failed(a); /* a malformed journal of our own making: let recovery decide */
		return -1;
	}
	if (set_state(a, J_IDLE) != 0)
		return -1;
	if (sets_ref)
		a->verified = 1;
	return 0;
}

/*
 * Read the reference block.  Returns 1 when a reference is set (*tries =
 * tries left, 0 when blocked), 0 when none is (an unprotected card), -1 on
 * an NVM failure.  ref (LM_APPLET_REF_SIZE bytes) gets the block; the
 * caller forgets it.
 */
static int read_ref(struct lm_applet *a, uint8_t *ref, uint32_t *tries)
{
	if (nvm_read(a, LM_APPLET_REF_OFFSET, ref, LM_APPLET_REF_SIZE) != 0)
		return -1;
	*tries = ref[R_TRIES] <= LM_REF_TRIES ? ref[R_TRIES] : 0;
	return ref[R_MARK] == R_SET;
}

/*
 * The access check of every command that touches protected data: OK when
 * no reference is set or the session is verified; with blocked_ok also
 * when the card is blocked (WIPE: a blocked card can only be wiped).
 * Else 69 82, or 65 81 when the NVM fails.
 */
static uint16_t need_verified(struct lm_applet *a, int blocked_ok)
{
	uint8_t ref[LM_APPLET_REF_SIZE];
	uint32_t tries;
	int set;

	if (a->verified)
		return LM_SW_OK;
	set = read_ref(a, ref, &tries);
	forget(ref, sizeof(ref));
	if (set < 0)
		return LM_SW_MEMORY;
	if (set == 0 || (blocked_ok && tries == 0))
		return LM_SW_OK;
	return LM_SW_SECURITY;
}

/*
 * Split a command APDU into its fields (ISO 7816-4 cases 1, 2, 3, 4 with
 * short or extended lengths).  Returns 0, or -1 when the length fields do
 * not add up to n.  Assumes n >= 4.
 */
static int parse_apdu(const uint8_t *b, size_t n, struct apdu *c)
{
	uint32_t v;

	c->cla = b[0];
	c->ins = b[1];
	c->p1 = b[2];
	c->p2 = b[3];
	c->data = NULL;
	c->lc = 0;
	c->le = 0;
	if (n == 4)
		return 0; /* case 1 */
	if (n == 5) {
		c->le = b[4] ? b[4] : 256u; /* case 2 short */
		return 0;
	}
	if (b[4] != 0) {
		v = b[4];
		if (n != 5 + v && n != 6 + v)
			return -1;
		c->data = b + 5;
		c->lc = v; /* case 3 short */
		if (n == 6 + v)
			c->le = b[n - 1] ? b[n - 1] : 256u; /* case 4 short */
		return 0;
	}
	if (n < 7)
		return -1;
	v = get_u16(b + 5);
	if (n == 7) {
		c->le = v ? v : 65536u; /* case 2 extended */
		return 0;
	}
	if (v == 0 || (n != 7 + v && n != 9 + v))
		return -1;
	c->data = b + 7;
	c->lc = v; /* case 3 extended */
	if (n == 9 + v) {
		v = get_u16(b + n - 2);
		c->le = v ? v : 65536u; /* case 4 extended */
	}
	return 0;
}

/* SELECT by AID (P1 04, P2 00 or 0C).  Any performed SELECT drops the transaction. */
static uint16_t cmd_select(struct lm_applet *a, const struct apdu *c)
{
	if (c->p1 != 0x04 || (c->p2 != 0x00 && c->p2 != 0x0C))
		return LM_SW_WRONG_P1P2;
	if (c->lc == 0)
		return LM_SW_WRONG_LENGTH;
	drop_tx(a);
	a->selected = 0;
	a->verified = 0;
	if (c->lc != LM_APPLET_AID_LEN || memcmp(c->data, lm_applet_aid, LM_APPLET_AID_LEN) != 0)
		return LM_SW_NOT_FOUND;
	a->selected = 1;
	return LM_SW_OK;
}

/*
 * READ BINARY: Le bytes of the image from offset ((P1 & 7F) << 8) | P2, as
 * many as fit in out (cap bytes).  62 82 when the image ends before Le.
 * On a protected card a read that reaches past the public header
 * (LM_PUBLIC_LEN bytes) needs the verified state.
 */
static uint16_t cmd_read(struct lm_applet *a, const struct apdu *c, uint8_t *out, size_t cap,
			 size_t *out_len)
{
	uint32_t off = ((uint32_t)(c->p1 & 0x7Fu) << 8) | c->p2;
	uint32_t n = c->le;
	uint16_t sw = LM_SW_OK;

	if (c->lc != 0 || c->le == 0)
		return LM_SW_WRONG_LENGTH;
	if (off >= a->capacity)
		return LM_SW_OFFSET;
	if (n > a->capacity - off) {
		n = a->capacity - off;
		sw = LM_SW_EOF;
	}
	if (off + n > LM_PUBLIC_LEN) {
		uint16_t denied = need_verified(a, 0);

		if (denied != LM_SW_OK)
			return denied;
	}
	if (n > cap)
		n = (uint32_t)cap;
	if (nvm_read(a, LM_APPLET_JOURNAL_SIZE + off, out, n) != 0)
		return LM_SW_MEMORY;
	*out_len = n;
	return sw;
}

/*
 * GET DATA: version (0001), capacity (0002) or free bytes (0003).  Version
 * and capacity are public; free bytes tell the committed length, which a
 * protected card shows only to a verified session.
 */
static uint16_t cmd_get_data(struct lm_applet *a, const struct apdu *c, uint8_t *out, size_t cap,
			     size_t *out_len)
{
	uint32_t tag = ((uint32_t)c->p1 << 8) | c->p2;
	uint32_t n = 4, free_bytes;
	struct layout l;
	uint16_t sw;

	if (c->lc != 0)
		return LM_SW_WRONG_LENGTH;
	if (tag == LM_TAG_VERSION)
		n = 3;
	else if (tag == LM_TAG_DIGEST)
		n = LM_DIGEST_ANSWER_LEN;
	else if (tag != LM_TAG_CAPACITY && tag != LM_TAG_FREE)
		return LM_SW_NO_TAG;
	if ((c->le != 0 && c->le < n) || cap < n)
		return LM_SW_WRONG_LENGTH;
	if (tag == LM_TAG_VERSION) {
		out[0] = LM_APPLET_VERSION_MAJOR;
		out[1] = LM_APPLET_VERSION_MINOR;
		out[2] = LM_APPLET_FORMAT_MAX;
	} else if (tag == LM_TAG_CAPACITY) {
		put_u32(out, a->capacity);
	} else if (tag == LM_TAG_DIGEST) {
		/* What a desk asks a card it may know in one exchange: capacity,
		 * header, digest.  It tells of the committed log as GET DATA free
		 * does. */
		sw = need_verified(a, 0);
		if (sw != LM_SW_OK)
			return sw;
		put_u32(out, a->capacity);
		if (nvm_read(a, LM_APPLET_JOURNAL_SIZE, out + 4, LM_IMAGE_HEADER_SIZE) != 0 ||
		    nvm_read(a, LM_APPLET_DIGEST_OFFSET, out + 4 + LM_IMAGE_HEADER_SIZE,
			     LM_APPLET_DIGEST_SIZE) != 0)
			return LM_SW_MEMORY;
	} else {
		sw = need_verified(a, 0);
		if (sw != LM_SW_OK)
			return sw;
		if (read_layout(a, &l) != 0)
			return LM_SW_MEMORY;
		free_bytes = a->capacity - l.log;
		if (l.version)
			free_bytes = l.committed < free_bytes ? free_bytes - l.committed : 0;
		put_u32(out, free_bytes);
	}
	*out_len = n;
	return LM_SW_OK;
}

/*
 * UPDATE (staged): add "write DATA at offset P1P2" to the open transaction.
 * On a formatted image the committed bytes (below the log start + committed
 * length: 24 + n in version 1, 60 + n in version 2) are read-only, except
 * the commit word (offset 4, or 24 in version 2), which may grow.
 */
static uint16_t cmd_update(struct lm_applet *a, const struct apdu *c)
{
	uint32_t off = ((uint32_t)c->p1 << 8) | c->p2;
	uint32_t len = c->lc, newlen;
	uint8_t rec[REC_HEADER];
	struct layout l;
	uint16_t sw;

	if (c->lc == 0 || c->le != 0)
		return LM_SW_WRONG_LENGTH;
	sw = need_verified(a, 0);
	if (sw != LM_SW_OK)
		return sw;
	if (off > a->capacity || len > a->capacity - off)
		return LM_SW_FULL;
	if (read_layout(a, &l) != 0)
		return LM_SW_MEMORY;
	if (l.version && off < l.log + l.committed) {
		if (off != l.commit || len != LM_IMAGE_COMMIT_SIZE)
			return LM_SW_APPEND_ONLY;
		newlen = get_u16(c->data);
		if (newlen < l.committed || (uint16_t)~newlen != get_u16(c->data + 2))
			return LM_SW_APPEND_ONLY;
		if (newlen > a->capacity - l.log)
			return LM_SW_FULL;
	}
	if (REC_HEADER + len > J_RECORDS_MAX - J_DIGEST_RESERVE - a->staged)
		return LM_SW_FULL;
	rec[0] = REC_WRITE;
	rec[1] = REC_IMAGE;
	put_u16(rec + 2, off);
	put_u16(rec + 4, len);
	if (nvm_write(a, J_RECORDS + a->staged, rec, REC_HEADER) != 0 ||
	    nvm_write(a, J_RECORDS + a->staged + REC_HEADER, c->data, len) != 0)
		return LM_SW_MEMORY;
	a->staged += REC_HEADER + len;
	return LM_SW_OK;
}

/*
 * WIPE: one journaled transaction that zeroes the whole image (header first,
 * so the card is unformatted from the first landed chunk on) and the
 * reference block (the card is unprotected afterwards), then zero the
 * journal's record area so no staged data outlives the wipe.
 */
static int wipe(struct lm_applet *a)
{
	uint8_t rec[2 * REC_HEADER];
	uint8_t zero[CHUNK];
	uint32_t pos, n;

	drop_tx(a);
	a->verified = 0;
	rec[0] = REC_ZERO;
	rec[1] = REC_IMAGE;
	put_u16(rec + 2, 0);
	put_u16(rec + 4, a->capacity);
	rec[6] = REC_ZERO;
	rec[7] = REC_REF;
	put_u16(rec + 8, 0);
	put_u16(rec + 10, LM_APPLET_REF_SIZE);
	if (nvm_write(a, J_RECORDS, rec, sizeof(rec)) != 0)
		return -1;
	a->staged = sizeof(rec);
	if (commit_staged(a) != 0)
		return -1;
	memset(zero, 0, sizeof(zero));
	for (pos = J_RECORDS; pos < LM_APPLET_REF_OFFSET; pos += n) {
		n = LM_APPLET_REF_OFFSET - pos < CHUNK ? LM_APPLET_REF_OFFSET - pos : CHUNK;
		if (nvm_write(a, pos, zero, n) != 0)
			return -1;
	}
	return 0;
}

/* COMMIT, ABORT and WIPE: case 1 (no data, no Le), P1 P2 = 00 00. */
static uint16_t cmd_transaction(struct lm_applet *a, const struct apdu *c)
{
	uint16_t sw;

	if (c->lc != 0 || c->le != 0)
		return LM_SW_WRONG_LENGTH;
	if (c->p1 != 0 || c->p2 != 0)
		return LM_SW_WRONG_P1P2;
	if (c->ins == LM_INS_ABORT) {
		drop_tx(a);
		return LM_SW_OK;
	}
	sw = need_verified(a, c->ins == LM_INS_WIPE);
	if (sw != LM_SW_OK)
		return sw;
	if (c->ins == LM_INS_COMMIT) {
		if (a->staged == 0)
			return LM_SW_OK;
		return commit_staged(a) == 0 ? LM_SW_OK : LM_SW_MEMORY;
	}
	return wipe(a) == 0 ? LM_SW_OK : LM_SW_MEMORY;
}

/* 63 Cx with x tries left, or 69 83 when none is left. */
static uint16_t tries_sw(uint32_t tries)
{
	return tries ? (uint16_t)(LM_SW_TRIES | tries) : LM_SW_BLOCKED;
}

/*
 * One try of a 16-byte value against the reference (tries >= 1 left).  The
 * decremented count is stored first, in one single-byte write (atomic under
 * lm_nvm.h): the value is compared only once that write has landed, so a
 * card pulled during VERIFY answers nothing and gives no free try, right
 * value or wrong.  The comparison looks at all 16 bytes whatever they hold
 * (constant time).  A right value stores the full count again (a second
 * single-byte write; a tear there leaves the decremented count) and
 * verifies the session.
 */
static uint16_t try_value(struct lm_applet *a, const uint8_t *ref, const uint8_t *value,
			  uint32_t tries)
{
	uint8_t diff = 0, left = (uint8_t)(tries - 1);
	uint32_t i;

	a->verified = 0;
	if (nvm_write(a, LM_APPLET_REF_OFFSET + R_TRIES, &left, 1) != 0)
		return LM_SW_MEMORY;
	for (i = 0; i < LM_REF_LEN; i++)
		diff |= (uint8_t)(ref[i] ^ value[i]);
	if (diff != 0)
		return tries_sw(left);
	left = LM_REF_TRIES;
	if (nvm_write(a, LM_APPLET_REF_OFFSET + R_TRIES, &left, 1) != 0)
		return LM_SW_MEMORY;
	a->verified = 1;
	return LM_SW_OK;
}

/*
 * VERIFY (P1 00, P2 81).  Without data: the status, no try spent (90 00
 * verified in this session, 63 Cx x tries left, 69 83 blocked).  With the
 * 16-byte value: one try (try_value): 90 00, 63 Cx for a wrong value, or
 * 69 83 when it spent the last try or none was left.  6A 88 when no
 * reference is set (an unprotected card).
 */
static uint16_t cmd_verify(struct lm_applet *a, const struct apdu *c)
{
	uint8_t ref[LM_APPLET_REF_SIZE];
	uint32_t tries;
	uint16_t sw;
	int set;

	if (c->p1 != 0 || c->p2 != LM_P2_REF_ACCESS)
		return LM_SW_WRONG_P1P2;
	if (c->le != 0 || (c->lc != 0 && c->lc != LM_REF_LEN))
		return LM_SW_WRONG_LENGTH;
	set = read_ref(a, ref, &tries);
	if (set < 0)
		sw = LM_SW_MEMORY;
	else if (set == 0)
		sw = LM_SW_NO_REF;
	else if (c->lc == 0)
		sw = a->verified ? LM_SW_OK : tries_sw(tries);
	else if (tries == 0)
		sw = LM_SW_BLOCKED;
	else
		sw = try_value(a, ref + R_VALUE, c->data, tries);
	forget(ref, sizeof(ref));
	return sw;
}

/*
 * CHANGE REFERENCE DATA (P1 01, P2 81, the new 16-byte value), staged like
 * UPDATE: the new reference (with full tries) joins the open transaction
 * as one record and lands with its COMMIT, all or nothing with the image
 * writes staged beside it.  Allowed while no reference is set, or in a
 * verified session.  69 85 on a formatted version 1 image: its 24 public
 * bytes hold the holder id (the desk wipes and formats version 2).
 */
static uint16_t cmd_change_ref(struct lm_applet *a, const struct apdu *c)
{
	uint8_t rec[REC_HEADER + LM_APPLET_REF_SIZE];
	struct layout l;
	uint16_t sw;

	if (c->p1 != LM_P1_REF_NEW || c->p2 != LM_P2_REF_ACCESS)
		return LM_SW_WRONG_P1P2;
	if (c->lc != LM_REF_LEN || c->le != 0)
		return LM_SW_WRONG_LENGTH;
	sw = need_verified(a, 0);
	if (sw != LM_SW_OK)
		return sw;
	if (read_layout(a, &l) != 0)
		return LM_SW_MEMORY;
	if (l.version == LM_IMAGE_FORMAT_VERSION)
		return LM_SW_APPEND_ONLY;
	if (sizeof(rec) > J_RECORDS_MAX - J_DIGEST_RESERVE - a->staged)
		return LM_SW_FULL;
	memset(rec, 0, sizeof(rec));
	rec[0] = REC_WRITE;
	rec[1] = REC_REF;
	put_u16(rec + 4, LM_APPLET_REF_SIZE);
	rec[REC_HEADER + R_MARK] = R_SET;
	rec[REC_HEADER + R_TRIES] = LM_REF_TRIES;
	memcpy(rec + REC_HEADER + R_VALUE, c->data, LM_REF_LEN);
	sw = nvm_write(a, J_RECORDS + a->staged, rec, sizeof(rec)) != 0 ? LM_SW_MEMORY : LM_SW_OK;
	forget(rec, sizeof(rec));
	if (sw == LM_SW_OK) {
		a->staged += sizeof(rec);
		a->staged_ref = 1;
	}
	return sw;
}

/*
 * Whether CLA/INS name one of our commands: 1 yes, 0 INS known under the
 * other class (wrong CLA), -1 INS unknown.
 */
static int known_command(uint8_t cla, uint8_t ins)
{
	int iso = ins == LM_INS_SELECT || ins == LM_INS_READ_BINARY || ins == LM_INS_GET_DATA ||
		  ins == LM_INS_VERIFY || ins == LM_INS_CHANGE_REF;
	int prop = ins == LM_INS_UPDATE || ins == LM_INS_COMMIT || ins == LM_INS_ABORT ||
		   ins == LM_INS_WIPE;

	if ((cla == LM_CLA_ISO && iso) || (cla == LM_CLA_PROP && prop))
		return 1;
	return iso || prop ? 0 : -1;
}

/*
 * Check and route one APDU.  Order of checks: recovery, length >= 4, CLA,
 * INS, selection, length fields, then the command's own checks.  Response
 * data goes to out (cap bytes); *out_len is set only on success.
 */
static uint16_t dispatch(struct lm_applet *a, const uint8_t *b, size_t n, uint8_t *out, size_t cap,
			 size_t *out_len)
{
	struct apdu c;
	int known;

	if (a->broken && (a->nvm == NULL || recover(a) != 0))
		return LM_SW_MEMORY;
	if (b == NULL || n < 4)
		return LM_SW_WRONG_LENGTH;
	if (b[0] != 0x00 && b[0] != 0x80)
		return LM_SW_CLA;
	known = known_command(b[0], b[1]);
	if (known < 0)
		return LM_SW_INS;
	if (known == 0)
		return LM_SW_CLA;
	if (!a->selected && b[1] != LM_INS_SELECT)
		return LM_SW_NOT_SELECTED;
	if (parse_apdu(b, n, &c) != 0)
		return LM_SW_WRONG_LENGTH;
	switch (c.ins) {
	case LM_INS_SELECT:
		return cmd_select(a, &c);
	case LM_INS_READ_BINARY:
		return cmd_read(a, &c, out, cap, out_len);
	case LM_INS_GET_DATA:
		return cmd_get_data(a, &c, out, cap, out_len);
	case LM_INS_UPDATE:
		return cmd_update(a, &c);
	case LM_INS_VERIFY:
		return cmd_verify(a, &c);
	case LM_INS_CHANGE_REF:
		return cmd_change_ref(a, &c);
	default:
		return cmd_transaction(a, &c);
	}
}

int lm_applet_init(struct lm_applet *a, const struct lm_nvm *nvm)
{
	memset(a, 0, sizeof(*a));
	a->broken = 1;
	if (nvm == NULL || nvm->read == NULL || nvm->write == NULL ||
	    nvm->size < LM_APPLET_JOURNAL_SIZE + LM_IMAGE_HEADER_SIZE)
		return -1;
	a->nvm = nvm;
	a->capacity = nvm->size - LM_APPLET_JOURNAL_SIZE;
	if (a->capacity > LM_APPLET_MAX_CAPACITY)
		a->capacity = LM_APPLET_MAX_CAPACITY;
	return recover(a);
}

size_t lm_applet_process(struct lm_applet *a, const uint8_t *apdu, size_t apdu_len, uint8_t *resp,
			 size_t resp_cap)
{
	size_t n = 0;
	uint16_t sw;

	if (resp == NULL || resp_cap < 2)
		return 0;
	sw = dispatch(a, apdu, apdu_len, resp, resp_cap - 2, &n);
	if (sw != LM_SW_OK && sw != LM_SW_EOF)
		n = 0;
	resp[n] = (uint8_t)(sw >> 8);
	resp[n + 1] = (uint8_t)sw;
	return n + 2;
}

void lm_applet_deselect(struct lm_applet *a)
{
	a->selected = 0;
	a->verified = 0;
	drop_tx(a);
}
