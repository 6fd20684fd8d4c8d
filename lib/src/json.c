/*
 * json.c - JSON views (json-c) shared by the CLI and the daemon.
 */
#include "laufmappe/lm_json.h"

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_util.h"

static json_object *date_json(uint32_t days)
{
	char d[11];
	lm_date_format(days, d);
	return json_object_new_string(d);
}

static json_object *hex_json(const uint8_t *p, size_t len)
{
	char buf[2 * 128 + 1];
	if (len > 128)
		len = 128;
	lm_hex_encode(p, len, buf);
	return json_object_new_string(buf);
}

json_object *lm_json_entry(const struct lm_entry *e)
{
	json_object *o = json_object_new_object();
	const struct lm_type_def *t = lm_type_by_code(e->type);
	json_object_object_add(o, "type", json_object_new_string(t ? t->name : "?"));
	json_object_object_add(o, "title", json_object_new_string(t ? t->title : "?"));
	json_object_object_add(o, "date", date_json(e->v[LM_F_DATE].num));
	json_object *f = json_object_new_object();
	/* Absent numbers and enums are zero by the format's rule, so every field
	 * of the type is shown; absent dates, text and bytes are left out. */
	for (const uint8_t *kp = t ? t->fields : (const uint8_t *)""; *kp; kp++) {
		unsigned k = *kp;
		const struct lm_field_def *d = lm_field_by_key(k);
		if (!(e->present & (1ull << k)) && d->kind != LM_KIND_UINT &&
		    d->kind != LM_KIND_ENUM && d->kind != LM_KIND_BOOL)
			continue;
		const struct lm_value *v = &e->v[k];
		json_object *jv = NULL;
		switch (d->kind) {
		case LM_KIND_UINT: jv = json_object_new_int64(v->num); break;
		case LM_KIND_BOOL: jv = json_object_new_boolean(v->num != 0); break;
		case LM_KIND_ENUM: jv = json_object_new_string(d->names[v->num]); break;
		case LM_KIND_DATE: jv = date_json(v->num); break;
		case LM_KIND_TEXT:
			jv = json_object_new_string_len((const char *)v->ptr, v->len);
			break;
		case LM_KIND_BYTES: jv = hex_json(v->ptr, v->len); break;
		}
		json_object_object_add(f, d->name, jv);
	}
	json_object_object_add(o, "fields", f);
	return o;
}

json_object *lm_json_verified(const struct lm_verify_result *r)
{
	json_object *o =
		r->verdict == LM_MALFORMED ? json_object_new_object() : lm_json_entry(&r->entry);
	json_object_object_add(o, "id", hex_json(r->id, 32));
	if (r->verdict != LM_MALFORMED)
		json_object_object_add(o, "kid", hex_json(r->cose.kid, LM_KID_LEN));
	json_object_object_add(o, "verdict", json_object_new_string(lm_verdict_name(r->verdict)));
	json_object_object_add(o, "verdict_text",
			       json_object_new_string(lm_verdict_text(r->verdict)));
	if (r->verdict == LM_MALFORMED)
		json_object_object_add(o, "error", json_object_new_string(lm_strerror(r->err)));
	if (r->issuer) {
		json_object *i = json_object_new_object();
		json_object_object_add(i, "name", json_object_new_string(r->issuer->name));
		json_object_object_add(i, "role",
				       json_object_new_string(lm_role_name(r->issuer->role)));
		json_object_object_add(o, "issuer", i);
	}
	return o;
}

json_object *lm_json_trust(const struct lm_trust *t)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "version", json_object_new_int64(t->version));
	json_object_object_add(o, "issued", json_object_new_int64((int64_t)t->issued));
	json_object_object_add(o, "next_update", json_object_new_int64((int64_t)t->next_update));
	json_object_object_add(o, "root_kid", hex_json(t->root_kid, LM_KID_LEN));
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < t->n; i++) {
		const struct lm_institution *in = &t->inst[i];
		json_object *j = json_object_new_object();
		json_object_object_add(j, "kid", hex_json(in->kid, LM_KID_LEN));
		json_object_object_add(j, "name", json_object_new_string(in->name));
		json_object_object_add(j, "role", json_object_new_string(lm_role_name(in->role)));
		json_object *ty = json_object_new_array();
		for (unsigned k = 1; k <= LM_TYPE_MAX; k++)
			if (in->types & (1u << k))
				json_object_array_add(
					ty, json_object_new_string(lm_type_by_code(k)->name));
		json_object_object_add(j, "types", ty);
		if (in->valid_from)
			json_object_object_add(j, "valid_from", date_json(in->valid_from));
		if (in->valid_until)
			json_object_object_add(j, "valid_until", date_json(in->valid_until));
		if (in->revoked)
			json_object_object_add(j, "revoked", date_json(in->revoked));
		json_object_array_add(a, j);
	}
	json_object_object_add(o, "institutions", a);
	return o;
}

json_object *lm_json_vocab(void)
{
	static const char *const kinds[] = {
		[LM_KIND_UINT] = "uint", [LM_KIND_ENUM] = "enum", [LM_KIND_BOOL] = "bool",
		[LM_KIND_DATE] = "date", [LM_KIND_TEXT] = "text", [LM_KIND_BYTES] = "bytes",
	};
	json_object *o = json_object_new_object(), *types = json_object_new_array(),
		    *fields = json_object_new_object(), *roles = json_object_new_array(),
		    *verdicts = json_object_new_array();
	for (unsigned code = 1; code <= LM_TYPE_MAX; code++) {
		const struct lm_type_def *t = lm_type_by_code(code);
		if (!t)
			continue;
		json_object *jt = json_object_new_object(), *tf = json_object_new_array();
		json_object_object_add(jt, "code", json_object_new_int(t->code));
		json_object_object_add(jt, "name", json_object_new_string(t->name));
		json_object_object_add(jt, "title", json_object_new_string(t->title));
		json_object_object_add(jt, "issuers", json_object_new_string(t->issuer_roles));
		for (const uint8_t *k = t->fields; *k; k++)
			json_object_array_add(tf,
					      json_object_new_string(lm_field_by_key(*k)->name));
		json_object_object_add(jt, "fields", tf);
		json_object_array_add(types, jt);
	}
	for (unsigned key = LM_F_DATE + 1; key < LM_FIELD_KEYS; key++) {
		const struct lm_field_def *d = lm_field_by_key(key);
		if (!d)
			continue;
		json_object *jf = json_object_new_object();
		json_object_object_add(jf, "key", json_object_new_int(d->key));
		json_object_object_add(jf, "kind", json_object_new_string(kinds[d->kind]));
		if (d->kind == LM_KIND_UINT || d->kind == LM_KIND_TEXT || d->kind == LM_KIND_BYTES)
			json_object_object_add(jf, "max", json_object_new_int64(d->max));
		if (d->kind == LM_KIND_ENUM) {
			json_object *v = json_object_new_array();
			for (const char *const *n = d->names; *n; n++)
				json_object_array_add(v, json_object_new_string(*n));
			json_object_object_add(jf, "values", v);
		}
		json_object_object_add(fields, d->name, jf);
	}
	for (unsigned r = 0; r < LM_ROLE_COUNT; r++)
		json_object_array_add(roles, json_object_new_string(lm_role_name(r)));
	for (int v = LM_VALID; v <= LM_MALFORMED; v++)
		json_object_array_add(verdicts,
				      json_object_new_string(lm_verdict_name((enum lm_verdict)v)));
	json_object_object_add(o, "types", types);
	json_object_object_add(o, "fields", fields);
	json_object_object_add(o, "roles", roles);
	json_object_object_add(o, "verdicts", verdicts);
	return o;
}
