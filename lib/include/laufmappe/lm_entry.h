/*
 * lm_entry.h - the entries of a Laufmappe: model, payload codec, signing.
 *
 * An entry is a COSE_Sign1 whose payload is a CBOR map with small integer
 * keys (docs/format.md lists them).  Rules that make the encoding
 * deterministic, so that SHA-256 over an entry's bytes is its identity:
 *   - RFC 8949 core deterministic CBOR (shortest heads, sorted keys);
 *   - a field whose value is zero (or an empty string) is left out, and a
 *     decoder refuses an explicit zero; absent means zero;
 *   - only the fields of the entry's type may appear (the table in
 *     entry.c), each within its range.
 * Nothing from domain.md's never-list has a field.
 *
 * struct lm_entry is caller-allocated.  Text and byte values point into
 * the buffer that was decoded (or into the caller's strings when encoding):
 * keep that buffer alive while the entry is used.
 */
#ifndef LM_ENTRY_H
#define LM_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "laufmappe/lm_cose.h"
#include "laufmappe/lm_key.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LM_ENTRY_MAX   1024 /* longest signed entry accepted, bytes */
#define LM_PAYLOAD_MAX 512  /* longest payload accepted, bytes */
#define LM_FIELD_KEYS  64   /* field keys are 1..63 */

/* Entry type codes (payload key 1).  Never renumbered. */
enum lm_type {
	LM_TYPE_EOK = 1,   /* first orientation course */
	LM_TYPE_IK = 2,	   /* integration course */
	LM_TYPE_DTZ = 3,   /* Deutsch-Test fuer Zuwanderer */
	LM_TYPE_LID = 4,   /* Leben in Deutschland */
	LM_TYPE_ZIK = 5,   /* Zertifikat Integrationskurs */
	LM_TYPE_BSK = 6,   /* job-related German course */
	LM_TYPE_DTB = 7,   /* Deutsch-Test fuer den Beruf (and telc/DSH/TestDaF) */
	LM_TYPE_ANR = 8,   /* recognition notice */
	LM_TYPE_APQ = 9,   /* bridging qualification */
	LM_TYPE_ZAB = 10,  /* foreign degree evaluation */
	LM_TYPE_SCH = 11,  /* school certificate equivalence */
	LM_TYPE_MYS = 12,  /* MYSKILLS competence test */
	LM_TYPE_KOMP = 13, /* informal competence check */
	LM_TYPE_PRA = 14,  /* internship */
	LM_TYPE_EQ = 15,   /* entry qualification */
	LM_TYPE_AUSB = 16, /* apprenticeship */
	LM_TYPE_ASA = 17,  /* assisted training */
	LM_TYPE_MENT = 18, /* mentor assigned */
	LM_TYPE_BER = 19,  /* counselling appointment (never its content) */
	LM_TYPE_JOB = 20,  /* employment */
	LM_TYPE_REG = 21,  /* holder registration (the holder record) */
	LM_TYPE_MAX = 21,
};

enum lm_field_kind {
	LM_KIND_UINT,  /* unsigned integer within [0, max] */
	LM_KIND_ENUM,  /* index into names[] */
	LM_KIND_BOOL,  /* 0 or 1 */
	LM_KIND_DATE,  /* days since 1970-01-01 */
	LM_KIND_TEXT,  /* UTF-8, at most max bytes */
	LM_KIND_BYTES, /* at most max bytes */
};

struct lm_field_def {
	uint8_t key;	  /* payload map key */
	const char *name; /* CLI and JSON name */
	enum lm_field_kind kind;
	uint32_t max;		  /* largest value, or longest text/bytes */
	const char *const *names; /* enum value names, NULL-terminated */
};

struct lm_type_def {
	uint8_t code;
	const char *name;	  /* "IK" */
	const char *title;	  /* English title */
	const char *issuer_roles; /* who may issue, for people (the trust list decides) */
	const uint8_t *fields;	  /* allowed field keys besides type and date, 0-terminated */
};

struct lm_value {
	uint32_t num;	    /* UINT, ENUM, BOOL, DATE */
	const uint8_t *ptr; /* TEXT, BYTES (not owned) */
	uint16_t len;
};

struct lm_entry {
	uint8_t type;			  /* enum lm_type */
	uint64_t present;		  /* bit k: field key k is set */
	struct lm_value v[LM_FIELD_KEYS]; /* indexed by field key */
	uint8_t store[96];		  /* bytes values set from hex text */
	size_t store_used;
};

/* Well-known field keys used by code outside the table. */
#define LM_F_TYPE   1
#define LM_F_DATE   2
#define LM_F_STATUS 3

const struct lm_type_def *lm_type_by_code(unsigned code);
const struct lm_type_def *lm_type_by_name(const char *name);
const struct lm_field_def *lm_field_by_key(unsigned key);
const struct lm_field_def *lm_field_by_name(const char *name);
/* 1 when the type allows the field. */
int lm_type_has_field(const struct lm_type_def *t, unsigned key);

void lm_entry_init(struct lm_entry *e, unsigned type, uint32_t date);
/*
 * Set a field from its text form (CLI: "planned=700", enum names, dates as
 * YYYY-MM-DD, bytes in hex).  Text values point into value: keep it alive.
 * LM_ERR_UNKNOWN_FIELD for a field the type does not have, LM_ERR_BAD_VALUE
 * for a value out of range.
 */
int lm_entry_set(struct lm_entry *e, const char *name, const char *value);
int lm_entry_set_num(struct lm_entry *e, unsigned key, uint32_t num);

/* Encode the payload (deterministic); checks the entry first. */
int lm_entry_encode_payload(const struct lm_entry *e, uint8_t *out, size_t cap, size_t *len);
/* Decode a payload strictly into e (pointers into p). */
int lm_entry_decode_payload(const uint8_t *p, size_t len, struct lm_entry *e);

/*
 * Sign e for the holder with key: a COSE_Sign1 with the holder id as
 * external_aad.  with_hint: put the holder id in the unprotected header too
 * (detached entry files); entries on cards never carry it.
 */
int lm_entry_sign(const struct lm_entry *e, const struct lm_key *key,
		  const uint8_t holder[LM_HOLDER_LEN], int with_hint, uint8_t *out, size_t cap,
		  size_t *len);

/* Decode a signed entry: COSE structure and payload, strictly. */
int lm_entry_decode(const uint8_t *buf, size_t len, struct lm_cose *c, struct lm_entry *e);

/*
 * Dates: days since 1970-01-01 <-> "YYYY-MM-DD" (out: 11 bytes).  A date in
 * an entry or a trust list is at most LM_DATE_MAX, the last day four year
 * digits can show; decoders refuse later ones.
 */
#define LM_DATE_MAX 2932896u /* 9999-12-31 */
int lm_date_parse(const char *s, uint32_t *days);
void lm_date_format(uint32_t days, char out[11]);
uint32_t lm_date_today(void);

#ifdef __cplusplus
}
#endif

#endif /* LM_ENTRY_H */
