/*
 * entry.c - the entry vocabulary (domain.md) as tables, and the strict
 * payload codec.  Adding a field or type means adding a table row and a
 * line in docs/format.md; keys are never reused.
 */
#include "laufmappe/lm_entry.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "laufmappe/lm_err.h"
#include "lm_cbor.h"

static const char *const status_names[] = {"done", "running", "planned", "stopped", NULL};
static const char *const subtype_names[] = {"general",	 "youth",    "parents",	      "women",
					    "intensive", "literacy", "second_script", NULL};
static const char *const dtz_names[] = {"below_a2", "a2", "b1", NULL};
static const char *const module_names[] = {"b2",	 "c1",		"c2",	   "special_a2",
					   "special_b1", "recognition", "subject", NULL};
static const char *const cefr_names[] = {"none", "a1", "a2", "b1", "b2", "c1", "c2", NULL};
static const char *const exam_names[] = {"dtb", "telc", "dsh", "testdaf", "other", NULL};
static const char *const recognition_names[] = {"none", "partial", "full", NULL};
static const char *const degree_names[] = {"none",	"bachelor", "master",
					   "doctorate", "other",    NULL};
static const char *const school_names[] = {
	"none", "hauptschule", "mittlerer_abschluss", "fachhochschulreife", "abitur", NULL};
static const char *const lang_names[] = {"de", "en", "ar", "fa", "uk", "tr",
					 "ru", "ku", "ti", "ps", "fr", NULL};
static const char *const tool_names[] = {"other", "profilpass", "kompetenzkarten", "kompass", NULL};
static const char *const basis_names[] = {"self_reported", "observed", NULL};
static const char *const kind_names[] = {"orientation", "vocational", "study", "other", NULL};
static const char *const final_names[] = {"pending", "passed", "failed", NULL};
static const char *const phase_names[] = {"before", "during", NULL};
static const char *const service_names[] = {"migration_counselling",
					    "youth_migration_service",
					    "job_counselling",
					    "recognition_counselling",
					    "other",
					    NULL};
static const char *const band_names[] = {"under_15", "15_to_30", "over_30", NULL};
static const char *const evidence_names[] = {"self_declared", "registered", "document_checked",
					     NULL};
static const char *const literacy_names[] = {"latin", "other_script", "not_literate", NULL};
static const char *const qualification_names[] = {"none", "vocational", "academic", NULL};

/* Keys 1 and 2 (type, date) are handled outside the table of optional fields. */
static const struct lm_field_def fields[] = {
	{1, "type", LM_KIND_UINT, LM_TYPE_MAX, NULL},
	{2, "date", LM_KIND_DATE, 0, NULL},
	{3, "status", LM_KIND_ENUM, 0, status_names},
	{4, "end", LM_KIND_DATE, 0, NULL},
	{5, "hours", LM_KIND_UINT, 5000, NULL},
	{10, "subtype", LM_KIND_ENUM, 0, subtype_names},
	{11, "planned", LM_KIND_UINT, 2000, NULL},
	{12, "attended", LM_KIND_UINT, 2000, NULL},
	{13, "repeat", LM_KIND_BOOL, 1, NULL},
	{14, "dtz", LM_KIND_ENUM, 0, dtz_names},
	{15, "listen_read", LM_KIND_UINT, 45, NULL},
	{16, "writing", LM_KIND_UINT, 20, NULL},
	{17, "speaking", LM_KIND_UINT, 100, NULL},
	{18, "score", LM_KIND_UINT, 33, NULL},
	{19, "module", LM_KIND_ENUM, 0, module_names},
	{20, "level", LM_KIND_ENUM, 0, cefr_names},
	{21, "exam", LM_KIND_ENUM, 0, exam_names},
	{22, "occupation", LM_KIND_UINT, 99999, NULL},
	{23, "recognition", LM_KIND_ENUM, 0, recognition_names},
	{24, "gaps_closed", LM_KIND_BOOL, 1, NULL},
	{25, "deadline", LM_KIND_DATE, 0, NULL},
	{26, "degree", LM_KIND_ENUM, 0, degree_names},
	{27, "school", LM_KIND_ENUM, 0, school_names},
	{28, "myskills", LM_KIND_UINT, 30, NULL},
	{29, "test_lang", LM_KIND_ENUM, 0, lang_names},
	{30, "ratings", LM_KIND_BYTES, 16, NULL},
	{31, "tool", LM_KIND_ENUM, 0, tool_names},
	{32, "basis", LM_KIND_ENUM, 0, basis_names},
	{33, "kind", LM_KIND_ENUM, 0, kind_names},
	{34, "months", LM_KIND_UINT, 36, NULL},
	{35, "final", LM_KIND_ENUM, 0, final_names},
	{36, "phase", LM_KIND_ENUM, 0, phase_names},
	{37, "programme", LM_KIND_TEXT, 32, NULL},
	{38, "service", LM_KIND_ENUM, 0, service_names},
	{39, "next", LM_KIND_DATE, 0, NULL},
	{40, "hours_band", LM_KIND_ENUM, 0, band_names},
	{41, "at_risk", LM_KIND_BOOL, 1, NULL},
	{42, "name", LM_KIND_TEXT, 48, NULL},
	{43, "birth_year", LM_KIND_UINT, 2100, NULL},
	{44, "evidence", LM_KIND_ENUM, 0, evidence_names},
	{45, "card_key", LM_KIND_BYTES, 65, NULL},
	{46, "literacy", LM_KIND_ENUM, 0, literacy_names},
	{47, "qualification", LM_KIND_ENUM, 0, qualification_names},
	{48, "work_experience", LM_KIND_BOOL, 1, NULL},
};

#define F(...) ((const uint8_t[]){__VA_ARGS__, 0})
static const struct lm_type_def types[] = {
	{LM_TYPE_EOK, "EOK", "first orientation course", "course provider", F(3, 4, 12)},
	{LM_TYPE_IK, "IK", "integration course", "course provider", F(3, 4, 10, 11, 12, 13)},
	{LM_TYPE_DTZ, "DTZ", "German test for immigrants (DTZ)", "exam centre", F(14, 15, 16, 17)},
	{LM_TYPE_LID, "LID", "test Leben in Deutschland", "exam centre", F(18)},
	{LM_TYPE_ZIK, "ZIK", "integration course certificate", "BAMF", (const uint8_t[]){0}},
	{LM_TYPE_BSK, "BSK", "job-related German course", "course provider", F(3, 4, 12, 19)},
	{LM_TYPE_DTB, "DTB", "German test for the job (DTB, telc, DSH, TestDaF)",
	 "exam centre, university", F(20, 21)},
	{LM_TYPE_ANR, "ANR", "recognition notice", "IHK, HWK, state authority", F(22, 23)},
	{LM_TYPE_APQ, "APQ", "bridging qualification", "training provider, employer",
	 F(3, 4, 22, 24, 25)},
	{LM_TYPE_ZAB, "ZAB", "foreign degree evaluation", "ZAB", F(26)},
	{LM_TYPE_SCH, "SCH", "school certificate equivalence", "state authority", F(27)},
	{LM_TYPE_MYS, "MYS", "MYSKILLS competence test", "Agentur, Jobcenter", F(28, 29, 30)},
	{LM_TYPE_KOMP, "KOMP", "informal competence check", "counselling services, VHS", F(31, 32)},
	{LM_TYPE_PRA, "PRA", "internship", "employer", F(3, 4, 5, 33)},
	{LM_TYPE_EQ, "EQ", "entry qualification", "employer, IHK, HWK", F(3, 4, 22, 34, 41)},
	{LM_TYPE_AUSB, "AUSB", "apprenticeship", "employer and chamber", F(3, 4, 22, 35, 41)},
	{LM_TYPE_ASA, "ASA", "assisted training (AsA flex)", "Agentur, Jobcenter, provider",
	 F(3, 4, 36)},
	{LM_TYPE_MENT, "MENT", "mentor assigned", "city, chamber, association", F(3, 4, 37)},
	{LM_TYPE_BER, "BER", "counselling appointment", "counselling services, Jobcenter",
	 F(38, 39)},
	{LM_TYPE_JOB, "JOB", "employment", "employer", F(3, 4, 22, 40)},
	{LM_TYPE_REG, "REG", "holder registration", "city", F(42, 43, 44, 45, 46, 47, 48)},
};
#undef F

#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))
#define N_TYPES	 (sizeof(types) / sizeof(types[0]))

const struct lm_type_def *lm_type_by_code(unsigned code)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (types[i].code == code)
			return &types[i];
	return NULL;
}

const struct lm_type_def *lm_type_by_name(const char *name)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (strcasecmp(types[i].name, name) == 0)
			return &types[i];
	return NULL;
}

const struct lm_field_def *lm_field_by_key(unsigned key)
{
	for (size_t i = 0; i < N_FIELDS; i++)
		if (fields[i].key == key)
			return &fields[i];
	return NULL;
}

const struct lm_field_def *lm_field_by_name(const char *name)
{
	for (size_t i = 0; i < N_FIELDS; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

int lm_type_has_field(const struct lm_type_def *t, unsigned key)
{
	for (const uint8_t *k = t->fields; *k; k++)
		if (*k == key)
			return 1;
	return 0;
}

static uint32_t enum_count(const struct lm_field_def *f)
{
	uint32_t n = 0;
	while (f->names[n])
		n++;
	return n;
}

/* Is a non-zero value within the field's range? */
static int value_ok(const struct lm_field_def *f, const struct lm_value *v)
{
	switch (f->kind) {
	case LM_KIND_UINT:
	case LM_KIND_BOOL: return v->num <= f->max;
	case LM_KIND_ENUM: return v->num < enum_count(f);
	case LM_KIND_DATE: return v->num <= LM_DATE_MAX;
	case LM_KIND_TEXT: return v->len <= f->max && lm_text_valid(v->ptr, v->len);
	case LM_KIND_BYTES: return v->len <= f->max;
	}
	return 0;
}

static int is_zero(const struct lm_field_def *f, const struct lm_value *v)
{
	return (f->kind == LM_KIND_TEXT || f->kind == LM_KIND_BYTES) ? v->len == 0 : v->num == 0;
}

void lm_entry_init(struct lm_entry *e, unsigned type, uint32_t date)
{
	memset(e, 0, sizeof(*e));
	e->type = (uint8_t)type;
	e->v[LM_F_TYPE].num = type;
	e->v[LM_F_DATE].num = date;
	e->present = (1ull << LM_F_TYPE) | (1ull << LM_F_DATE);
}

static int set_value(struct lm_entry *e, const struct lm_field_def *f, const struct lm_value *v)
{
	const struct lm_type_def *t = lm_type_by_code(e->type);
	if (!t)
		return LM_ERR_BAD_VALUE;
	if (f->key > LM_F_DATE && !lm_type_has_field(t, f->key))
		return LM_ERR_UNKNOWN_FIELD;
	if (!value_ok(f, v))
		return LM_ERR_BAD_VALUE;
	e->v[f->key] = *v;
	if (is_zero(f, v) && f->key > LM_F_DATE)
		e->present &= ~(1ull << f->key); /* zero is absence */
	else
		e->present |= 1ull << f->key;
	return LM_OK;
}

int lm_entry_set_num(struct lm_entry *e, unsigned key, uint32_t num)
{
	const struct lm_field_def *f = lm_field_by_key(key);
	if (!f || f->kind == LM_KIND_TEXT || f->kind == LM_KIND_BYTES || key == LM_F_TYPE)
		return LM_ERR_UNKNOWN_FIELD;
	struct lm_value v = {.num = num};
	return set_value(e, f, &v);
}

static int parse_uint(const char *s, uint32_t *out)
{
	if (!*s)
		return LM_ERR_BAD_VALUE;
	uint64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return LM_ERR_BAD_VALUE;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > 0xffffffffu)
			return LM_ERR_BAD_VALUE;
	}
	*out = (uint32_t)v;
	return LM_OK;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int lm_entry_set(struct lm_entry *e, const char *name, const char *value)
{
	const struct lm_field_def *f = lm_field_by_name(name);
	if (!f || f->key == LM_F_TYPE)
		return LM_ERR_UNKNOWN_FIELD;
	struct lm_value v = {0};
	int err = LM_OK;
	switch (f->kind) {
	case LM_KIND_UINT: err = parse_uint(value, &v.num); break;
	case LM_KIND_BOOL:
		if (!strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "1"))
			v.num = 1;
		else if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "0"))
			v.num = 0;
		else
			err = LM_ERR_BAD_VALUE;
		break;
	case LM_KIND_ENUM:
		err = LM_ERR_BAD_VALUE;
		for (uint32_t i = 0; f->names[i]; i++)
			if (!strcasecmp(f->names[i], value)) {
				v.num = i;
				err = LM_OK;
			}
		break;
	case LM_KIND_DATE: err = lm_date_parse(value, &v.num); break;
	case LM_KIND_TEXT: {
		size_t n = strlen(value);
		if (n > f->max)
			return LM_ERR_BAD_VALUE;
		v.ptr = (const uint8_t *)value;
		v.len = (uint16_t)n;
		break;
	}
	case LM_KIND_BYTES: {
		/* Hex is decoded into the entry's own small store. */
		size_t n = strlen(value);
		if (n % 2 || n / 2 > f->max || n / 2 > sizeof(e->store) - e->store_used)
			return LM_ERR_BAD_VALUE;
		uint8_t *dst = e->store + e->store_used;
		for (size_t i = 0; i < n; i += 2) {
			int hi = hexval(value[i]), lo = hexval(value[i + 1]);
			if (hi < 0 || lo < 0)
				return LM_ERR_BAD_VALUE;
			dst[i / 2] = (uint8_t)(hi << 4 | lo);
		}
		e->store_used += n / 2;
		v.ptr = dst;
		v.len = (uint16_t)(n / 2);
		break;
	}
	}
	if (err)
		return err;
	return set_value(e, f, &v);
}

/* Check an entry against its type's table: every set field allowed, in range. */
static int entry_check(const struct lm_entry *e)
{
	const struct lm_type_def *t = lm_type_by_code(e->type);
	if (!t || e->v[LM_F_TYPE].num != e->type)
		return LM_ERR_BAD_VALUE;
	if (e->v[LM_F_DATE].num == 0)
		return LM_ERR_MISSING_FIELD;
	for (unsigned k = 3; k < LM_FIELD_KEYS; k++) {
		if (!(e->present & (1ull << k)))
			continue;
		const struct lm_field_def *f = lm_field_by_key(k);
		if (!f || !lm_type_has_field(t, k))
			return LM_ERR_UNKNOWN_FIELD;
		if (!value_ok(f, &e->v[k]) || is_zero(f, &e->v[k]))
			return LM_ERR_BAD_VALUE;
	}
	return LM_OK;
}

int lm_entry_encode_payload(const struct lm_entry *e, uint8_t *out, size_t cap, size_t *len)
{
	int err = entry_check(e);
	if (err)
		return err;
	unsigned n = 0;
	for (unsigned k = 1; k < LM_FIELD_KEYS; k++)
		n += (e->present >> k) & 1;
	struct lm_cbor_writer w;
	lm_cbor_writer_init(&w, out, cap);
	lm_cbor_put_map(&w, n);
	for (unsigned k = 1; k < LM_FIELD_KEYS; k++) { /* ascending keys: deterministic */
		if (!(e->present & (1ull << k)))
			continue;
		const struct lm_field_def *f = lm_field_by_key(k);
		lm_cbor_put_uint(&w, k);
		if (f->kind == LM_KIND_TEXT)
			lm_cbor_put_tstr(&w, (const char *)e->v[k].ptr, e->v[k].len);
		else if (f->kind == LM_KIND_BYTES)
			lm_cbor_put_bstr(&w, e->v[k].ptr, e->v[k].len);
		else if (f->kind == LM_KIND_BOOL)
			lm_cbor_put_bool(&w, 1); /* present means true: false is left out */
		else
			lm_cbor_put_uint(&w, e->v[k].num);
	}
	if (w.err)
		return w.err;
	*len = w.len;
	return LM_OK;
}

int lm_entry_decode_payload(const uint8_t *p, size_t len, struct lm_entry *e)
{
	memset(e, 0, sizeof(*e));
	if (len > LM_PAYLOAD_MAX)
		return LM_ERR_TOO_LONG;
	struct lm_cbor_reader r;
	lm_cbor_reader_init(&r, p, len);
	uint64_t n = lm_cbor_get_map(&r);
	int64_t prev = 0;
	int prev_set = 0;
	const struct lm_type_def *t = NULL;
	for (uint64_t i = 0; i < n && r.err == LM_OK; i++) {
		int64_t k = lm_cbor_get_key(&r, &prev, &prev_set);
		if (r.err)
			break;
		const struct lm_field_def *f =
			k > 0 && k < LM_FIELD_KEYS ? lm_field_by_key((unsigned)k) : NULL;
		if (!f || (k > LM_F_DATE && (!t || !lm_type_has_field(t, (unsigned)k)))) {
			lm_cbor_reader_fail(&r, LM_ERR_UNKNOWN_FIELD);
			break;
		}
		struct lm_value v = {0};
		size_t sl = 0;
		if (f->kind == LM_KIND_TEXT) {
			v.ptr = lm_cbor_get_tstr(&r, &sl);
		} else if (f->kind == LM_KIND_BYTES) {
			v.ptr = lm_cbor_get_bstr(&r, &sl);
		} else if (f->kind == LM_KIND_BOOL) {
			v.num = (uint32_t)lm_cbor_get_bool(&r); /* false: refused below as zero */
		} else {
			uint64_t num = lm_cbor_get_uint(&r);
			if (num > 0xffffffffu)
				lm_cbor_reader_fail(&r, LM_ERR_BAD_VALUE);
			v.num = (uint32_t)num;
		}
		if (r.err)
			break;
		if (sl > 0xffff)
			lm_cbor_reader_fail(&r, LM_ERR_BAD_VALUE);
		v.len = (uint16_t)sl;
		if (k == LM_F_TYPE) {
			t = lm_type_by_code(v.num);
			if (!t)
				lm_cbor_reader_fail(&r, LM_ERR_BAD_VALUE);
			e->type = (uint8_t)v.num;
		} else if (is_zero(f, &v)) {
			lm_cbor_reader_fail(&r, LM_ERR_NONCANONICAL); /* zero must be left out */
		} else if (!value_ok(f, &v)) {
			lm_cbor_reader_fail(&r, LM_ERR_BAD_VALUE);
		}
		e->v[k] = v;
		e->present |= 1ull << k;
	}
	int err = lm_cbor_reader_finish(&r);
	if (err)
		return err;
	if (!t || !(e->present & (1ull << LM_F_DATE)))
		return LM_ERR_MISSING_FIELD;
	return LM_OK;
}

int lm_entry_sign(const struct lm_entry *e, const struct lm_key *key,
		  const uint8_t holder[LM_HOLDER_LEN], int with_hint, uint8_t *out, size_t cap,
		  size_t *len)
{
	uint8_t payload[LM_PAYLOAD_MAX];
	size_t plen;
	int err = lm_entry_encode_payload(e, payload, sizeof(payload), &plen);
	if (err)
		return err;
	return lm_cose_sign(key, holder, LM_HOLDER_LEN, payload, plen, with_hint ? holder : NULL,
			    out, cap, len);
}

int lm_entry_decode(const uint8_t *buf, size_t len, struct lm_cose *c, struct lm_entry *e)
{
	if (len > LM_ENTRY_MAX)
		return LM_ERR_TOO_LONG;
	int err = lm_cose_decode(buf, len, c);
	if (err)
		return err;
	return lm_entry_decode_payload(c->payload, c->payload_len, e);
}

/* Howard Hinnant's days_from_civil / civil_from_days, proleptic Gregorian. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int lm_date_parse(const char *s, uint32_t *days)
{
	unsigned y = 0, m = 0, d = 0;
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return LM_ERR_BAD_VALUE;
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return LM_ERR_BAD_VALUE;
	}
	y = (unsigned)atoi(s);
	m = (unsigned)atoi(s + 5);
	d = (unsigned)atoi(s + 8);
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return LM_ERR_BAD_VALUE;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m == 2 && d == 29 && !leap)
		return LM_ERR_BAD_VALUE;
	*days = (uint32_t)days_from_civil(y, m, d);
	return LM_OK;
}

void lm_date_format(uint32_t days, char out[11])
{
	int64_t z = (int64_t)days + 719468;
	int64_t era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	out[0] = (char)('0' + (y / 1000) % 10);
	out[1] = (char)('0' + (y / 100) % 10);
	out[2] = (char)('0' + (y / 10) % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = 0;
}

uint32_t lm_date_today(void)
{
	return (uint32_t)(time(NULL) / 86400);
}
