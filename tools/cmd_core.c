/*
 * cmd_core.c - key, trust, issue, verify, show, image and holder commands.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "laufmappe/lm_card.h"
#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_json.h"
#include "laufmappe/lm_protect.h"
#include "laufmappe/lm_util.h"

#define DEFAULT_NEXT_UPDATE_DAYS 30
#define DEFAULT_GRACE_DAYS	 14

static int cmd_key_generate(int argc, char **argv)
{
	if (argc != 2)
		return cli_usage(argv[0]);
	const char *path = argv[1];
	char pub[4096];
	if (snprintf(pub, sizeof(pub), "%s.pub", path) >= (int)sizeof(pub))
		return cli_fail(path, LM_ERR_ARG);
	struct stat st;
	if (stat(path, &st) == 0 || stat(pub, &st) == 0) {
		fprintf(stderr, "laufmappe: %s or %s exists; keys are never overwritten\n", path,
			pub);
		return EXIT_FAIL;
	}
	struct lm_key *k;
	int err = lm_key_generate(&k);
	if (!err)
		err = lm_key_save_private(k, path);
	if (!err) {
		err = lm_key_save_public(k, pub);
		if (err)
			remove(path);
	}
	if (err) {
		lm_key_free(k);
		return cli_fail("key generate", err);
	}
	uint8_t kid[LM_KID_LEN];
	char hex[2 * LM_KID_LEN + 1];
	lm_key_kid(k, kid);
	lm_hex_encode(kid, LM_KID_LEN, hex);
	printf("%s\n", hex);
	lm_key_free(k);
	return 0;
}

static int cmd_key_kid(int argc, char **argv)
{
	if (argc != 2)
		return cli_usage(argv[0]);
	struct lm_key *k;
	int err = lm_key_load_public(argv[1], &k);
	if (err == LM_ERR_KEY)
		err = lm_key_load_private(argv[1], &k);
	if (err)
		return cli_fail(argv[1], err);
	uint8_t kid[LM_KID_LEN];
	char hex[2 * LM_KID_LEN + 1];
	lm_key_kid(k, kid);
	lm_hex_encode(kid, LM_KID_LEN, hex);
	printf("%s\n", hex);
	lm_key_free(k);
	return 0;
}

/* Load ROOT (private) and TRUST (checked with the root's own public part). */
static int load_for_edit(const char *trust_path, const char *root_path, struct lm_key **root,
			 struct lm_trust **t)
{
	int err = lm_key_load_private(root_path, root);
	if (err) {
		fprintf(stderr, "laufmappe: root key %s: %s\n", root_path, cli_strerror(err));
		return err;
	}
	uint8_t *buf;
	size_t len;
	err = cli_read_file(trust_path, LM_TRUST_MAX, &buf, &len);
	if (err)
		return err;
	*t = lm_trust_new();
	err = *t ? lm_trust_load(*t, buf, len, *root, 0) : LM_ERR_NOMEM;
	free(buf);
	if (err)
		fprintf(stderr, "laufmappe: trust list %s: %s\n", trust_path, cli_strerror(err));
	return err;
}

/* Bump version and times, sign, write atomically. */
static int save_trust(struct lm_trust *t, const struct lm_key *root, const char *path,
		      unsigned next_days)
{
	uint64_t now = (uint64_t)time(NULL);
	t->version++;
	t->issued = now;
	t->next_update = now + (uint64_t)next_days * 86400;
	uint8_t *out = malloc(LM_TRUST_MAX);
	if (!out)
		return LM_ERR_NOMEM;
	size_t len;
	int err = lm_trust_sign(t, root, out, LM_TRUST_MAX, &len);
	if (!err)
		err = lm_file_write(path, out, len, 0644);
	free(out);
	if (err)
		fprintf(stderr, "laufmappe: writing %s: %s\n", path, cli_strerror(err));
	else
		fprintf(stderr, "trust list %s: version %u, %zu institutions\n", path, t->version,
			t->n);
	return err;
}

static int cmd_trust_create(int argc, char **argv)
{
	const char *root = NULL, *out = NULL;
	unsigned days = DEFAULT_NEXT_UPDATE_DAYS;
	static const struct option opts[] = {{"root", 1, 0, 'r'},
					     {"out", 1, 0, 'o'},
					     {"next-update-days", 1, 0, 'd'},
					     {0, 0, 0, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			root = optarg;
		else if (c == 'o')
			out = optarg;
		else if (c == 'd')
			days = (unsigned)atoi(optarg);
		else
			return cli_usage(argv[0]);
	}
	if (!root || !out || optind != argc || days == 0)
		return cli_usage(argv[0]);
	struct stat st;
	if (stat(out, &st) == 0) {
		fprintf(stderr, "laufmappe: %s exists; use trust add/revoke to change it\n", out);
		return EXIT_FAIL;
	}
	struct lm_key *k;
	int err = lm_key_load_private(root, &k);
	if (err)
		return cli_fail(root, err);
	struct lm_trust *t = lm_trust_new();
	err = t ? save_trust(t, k, out, days) : LM_ERR_NOMEM;
	lm_trust_free(t);
	lm_key_free(k);
	return err ? EXIT_FAIL : 0;
}

static int cmd_trust_add(int argc, char **argv)
{
	const char *root = NULL, *pub = NULL, *name = NULL, *role = NULL, *types = NULL;
	const char *from = NULL, *until = NULL;
	unsigned days = DEFAULT_NEXT_UPDATE_DAYS;
	static const struct option opts[] = {{"root", 1, 0, 'r'},  {"pub", 1, 0, 'p'},
					     {"name", 1, 0, 'n'},  {"role", 1, 0, 'R'},
					     {"types", 1, 0, 't'}, {"from", 1, 0, 'f'},
					     {"until", 1, 0, 'u'}, {"next-update-days", 1, 0, 'd'},
					     {0, 0, 0, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': root = optarg; break;
		case 'p': pub = optarg; break;
		case 'n': name = optarg; break;
		case 'R': role = optarg; break;
		case 't': types = optarg; break;
		case 'f': from = optarg; break;
		case 'u': until = optarg; break;
		case 'd': days = (unsigned)atoi(optarg); break;
		default: return cli_usage(argv[0]);
		}
	}
	if (!root || !pub || !name || !role || !types || optind != argc - 1 || days == 0)
		return cli_usage(argv[0]);
	int r = lm_role_by_name(role);
	if (r < 0) {
		fprintf(stderr,
			"laufmappe: unknown role %s (one of: city, course_provider, "
			"exam_centre, bamf, university, ihk, hwk, state_authority, "
			"training_provider, employer, zab, agentur, jobcenter, counselling, "
			"association)\n",
			role);
		return EXIT_USAGE;
	}
	uint32_t tbits, vf = 0, vu = 0;
	if (cli_parse_types(types, &tbits) || (from && lm_date_parse(from, &vf)) ||
	    (until && lm_date_parse(until, &vu)))
		return cli_usage(argv[0]);
	struct lm_key *k = NULL, *ik = NULL;
	struct lm_trust *t = NULL;
	int err = load_for_edit(argv[optind], root, &k, &t);
	if (!err) {
		err = lm_key_load_public(pub, &ik);
		if (err)
			fprintf(stderr, "laufmappe: %s: %s\n", pub, cli_strerror(err));
	}
	if (!err) {
		uint8_t spki[LM_SPKI_MAX];
		size_t sl;
		err = lm_key_spki(ik, spki, sizeof(spki), &sl);
		if (!err)
			err = lm_trust_add(t, spki, sl, name, (unsigned)r, tbits, vf, vu);
		if (err == LM_ERR_ARG)
			fprintf(stderr, "laufmappe: that key is already on the trust list\n");
		else if (err)
			fprintf(stderr, "laufmappe: trust add: %s\n", cli_strerror(err));
	}
	if (!err)
		err = save_trust(t, k, argv[optind], days);
	lm_key_free(ik);
	lm_key_free(k);
	lm_trust_free(t);
	return err ? EXIT_FAIL : 0;
}

static int cmd_trust_revoke(int argc, char **argv)
{
	const char *root = NULL, *kid_hex = NULL, *at = NULL;
	unsigned days = DEFAULT_NEXT_UPDATE_DAYS;
	static const struct option opts[] = {{"root", 1, 0, 'r'},
					     {"kid", 1, 0, 'k'},
					     {"at", 1, 0, 'a'},
					     {"next-update-days", 1, 0, 'd'},
					     {0, 0, 0, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			root = optarg;
		else if (c == 'k')
			kid_hex = optarg;
		else if (c == 'a')
			at = optarg;
		else if (c == 'd')
			days = (unsigned)atoi(optarg);
		else
			return cli_usage(argv[0]);
	}
	uint8_t kid[LM_KID_LEN];
	uint32_t day = lm_date_today();
	if (!root || !kid_hex || optind != argc - 1 || days == 0)
		return cli_usage(argv[0]);
	if (lm_hex_decode(kid_hex, kid, LM_KID_LEN) || (at && lm_date_parse(at, &day))) {
		fprintf(stderr, "laufmappe: --kid takes 16 hex digits, --at YYYY-MM-DD\n");
		return EXIT_USAGE;
	}
	struct lm_key *k = NULL;
	struct lm_trust *t = NULL;
	int err = load_for_edit(argv[optind], root, &k, &t);
	if (!err) {
		err = lm_trust_revoke(t, kid, day);
		if (err)
			fprintf(stderr, "laufmappe: no institution with kid %s\n", kid_hex);
	}
	if (!err)
		err = save_trust(t, k, argv[optind], days);
	lm_key_free(k);
	lm_trust_free(t);
	return err ? EXIT_FAIL : 0;
}

static int cmd_trust_show(int argc, char **argv)
{
	const char *root = NULL;
	int json = 0;
	static const struct option opts[] = {
		{"root", 1, 0, 'r'}, {"json", 0, 0, 'j'}, {0, 0, 0, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			root = optarg;
		else if (c == 'j')
			json = 1;
		else
			return cli_usage(argv[0]);
	}
	if (!root || optind != argc - 1)
		return cli_usage(argv[0]);
	struct lm_trust *t;
	if (cli_load_trust(argv[optind], root, 0, &t))
		return EXIT_FAIL;
	if (json) {
		json_object *o = lm_json_trust(t);
		cli_print_json(o);
		json_object_put(o);
	} else {
		char kid[2 * LM_KID_LEN + 1], d1[11], d2[11];
		lm_hex_encode(t->root_kid, LM_KID_LEN, kid);
		lm_date_format((uint32_t)(t->issued / 86400), d1);
		lm_date_format((uint32_t)(t->next_update / 86400), d2);
		printf("trust list version %u, signed by root %s, issued %s, next update %s\n",
		       t->version, kid, d1, d2);
		for (size_t i = 0; i < t->n; i++) {
			const struct lm_institution *in = &t->inst[i];
			lm_hex_encode(in->kid, LM_KID_LEN, kid);
			printf("  %s  %-17s %s  types:", kid, lm_role_name(in->role), in->name);
			for (unsigned ty = 1; ty <= LM_TYPE_MAX; ty++)
				if (in->types & (1u << ty))
					printf(" %s", lm_type_by_code(ty)->name);
			if (in->revoked) {
				lm_date_format(in->revoked, d1);
				printf("  REVOKED from %s", d1);
			}
			printf("\n");
		}
	}
	lm_trust_free(t);
	return 0;
}

/* Sign one entry and write it as a detached entry file (with holder hint). */
static int issue_one(const struct lm_key *k, const uint8_t holder[LM_HOLDER_LEN],
		     const struct lm_entry *e, const char *out)
{
	uint8_t buf[LM_ENTRY_MAX];
	size_t len;
	int err = lm_entry_sign(e, k, holder, 1, buf, sizeof(buf), &len);
	if (!err)
		err = lm_file_write(out, buf, len, 0644);
	return err;
}

static int set_field(struct lm_entry *e, const char *name, const char *value)
{
	int err = lm_entry_set(e, name, value);
	if (err == LM_ERR_UNKNOWN_FIELD)
		fprintf(stderr,
			"laufmappe: %s entries have no field '%s' (docs/format.md lists them)\n",
			lm_type_by_code(e->type)->name, name);
	else if (err)
		fprintf(stderr, "laufmappe: bad value for %s: '%s'\n", name, value);
	return err;
}

/*
 * A class at once: CSV with a header row "holder,type,date,FIELD,...";
 * each row is one entry, written to DIR/HOLDER-TYPE-ROW.cose.
 */
static int issue_batch(const struct lm_key *k, const char *csv, const char *dir)
{
	FILE *f = fopen(csv, "r");
	if (!f)
		return cli_fail(csv, errno == ENOENT ? LM_ERR_NOT_FOUND : LM_ERR_IO);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fclose(f);
		return cli_fail(dir, LM_ERR_IO);
	}
	char line[2048], head[2048];
	char *cols[64];
	size_t ncols = 0, rows = 0, ok = 0, total = 0;
	if (!fgets(head, sizeof(head), f)) {
		fclose(f);
		fprintf(stderr, "laufmappe: %s: empty\n", csv);
		return EXIT_FAIL;
	}
	head[strcspn(head, "\r\n")] = 0;
	for (char *s = head, *tok; (tok = strsep(&s, ",")) && ncols < 64;)
		cols[ncols++] = tok;
	if (ncols < 3 || strcmp(cols[0], "holder") || strcmp(cols[1], "type") ||
	    strcmp(cols[2], "date")) {
		fclose(f);
		fprintf(stderr, "laufmappe: %s: the header must start with holder,type,date\n",
			csv);
		return EXIT_USAGE;
	}
	long start = ftell(f);
	while (fgets(line, sizeof(line), f))
		total += line[0] != '\n' && line[0] != '\r';
	fseek(f, start, SEEK_SET);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0])
			continue;
		rows++;
		char *vals[64];
		size_t nv = 0;
		for (char *s = line, *tok; (tok = strsep(&s, ",")) && nv < 64;)
			vals[nv++] = tok;
		uint8_t holder[LM_HOLDER_LEN];
		const struct lm_type_def *t = nv == ncols ? lm_type_by_name(vals[1]) : NULL;
		uint32_t date;
		struct lm_entry e;
		int err = !t || lm_hex_decode(vals[0], holder, LM_HOLDER_LEN) ||
					  lm_date_parse(vals[2], &date)
				  ? LM_ERR_BAD_VALUE
				  : LM_OK;
		if (!err) {
			lm_entry_init(&e, t->code, date);
			for (size_t i = 3; i < ncols && !err; i++)
				if (vals[i][0])
					err = set_field(&e, cols[i], vals[i]);
		}
		char out[4096];
		if (!err) {
			snprintf(out, sizeof(out), "%s/%s-%s-%zu.cose", dir, vals[0], t->name,
				 rows);
			err = issue_one(k, holder, &e, out);
		}
		ok += !err;
		fprintf(stderr, "[%zu/%zu] %s %s\n", rows, total, nv > 0 ? vals[0] : "?",
			err ? cli_strerror(err) : "signed");
	}
	fclose(f);
	fprintf(stderr, "%zu of %zu entries signed into %s\n", ok, rows, dir);
	return ok == rows && rows > 0 ? 0 : EXIT_FAIL;
}

static int cmd_issue(int argc, char **argv)
{
	const char *key = NULL, *holder_hex = NULL, *type = NULL, *date = NULL, *out = NULL;
	const char *batch = NULL, *out_dir = NULL;
	char *sets[64];
	size_t nsets = 0;
	static const struct option opts[] = {
		{"key", 1, 0, 'k'},   {"holder", 1, 0, 'H'},  {"type", 1, 0, 't'},
		{"date", 1, 0, 'd'},  {"set", 1, 0, 's'},     {"out", 1, 0, 'o'},
		{"batch", 1, 0, 'b'}, {"out-dir", 1, 0, 'D'}, {0, 0, 0, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case 'H': holder_hex = optarg; break;
		case 't': type = optarg; break;
		case 'd': date = optarg; break;
		case 's':
			if (nsets == 64)
				return cli_usage(argv[0]);
			sets[nsets++] = optarg;
			break;
		case 'o': out = optarg; break;
		case 'b': batch = optarg; break;
		case 'D': out_dir = optarg; break;
		default: return cli_usage(argv[0]);
		}
	}
	if (!key || optind != argc)
		return cli_usage(argv[0]);
	if (batch ? (!out_dir || holder_hex || type || out) : (!holder_hex || !type || !out))
		return cli_usage(argv[0]);
	struct lm_key *k;
	int err = lm_key_load_private(key, &k);
	if (err)
		return cli_fail(key, err);
	if (batch) {
		int rc = issue_batch(k, batch, out_dir);
		lm_key_free(k);
		return rc;
	}
	uint8_t holder[LM_HOLDER_LEN];
	const struct lm_type_def *t = lm_type_by_name(type);
	uint32_t day = lm_date_today();
	int rc = 0;
	if (cli_parse_holder(holder_hex, holder)) {
		rc = EXIT_USAGE;
	} else if (!t) {
		fprintf(stderr, "laufmappe: unknown entry type %s\n", type);
		rc = EXIT_USAGE;
	} else if (date && lm_date_parse(date, &day)) {
		fprintf(stderr, "laufmappe: --date takes YYYY-MM-DD\n");
		rc = EXIT_USAGE;
	}
	struct lm_entry e;
	if (!rc) {
		lm_entry_init(&e, t->code, day);
		for (size_t i = 0; i < nsets && !rc; i++) {
			char *eq = strchr(sets[i], '=');
			if (!eq) {
				fprintf(stderr, "laufmappe: --set takes FIELD=VALUE\n");
				rc = EXIT_USAGE;
				break;
			}
			*eq = 0;
			if (set_field(&e, sets[i], eq + 1))
				rc = EXIT_USAGE;
		}
	}
	if (!rc) {
		err = issue_one(k, holder, &e, out);
		if (err)
			rc = cli_fail("issue", err);
	}
	lm_key_free(k);
	return rc;
}

/* Is this file an image (starts with the magic) or a single entry? */
static int is_image(const uint8_t *buf, size_t len)
{
	return len >= 2 && buf[0] == LM_CARD_MAGIC0 && buf[1] == LM_CARD_MAGIC1;
}

static int cmd_verify(int argc, char **argv)
{
	const char *trust = NULL, *root = NULL, *holder_hex = NULL, *code_file = NULL;
	int json = 0;
	unsigned min_version = 0, grace = DEFAULT_GRACE_DAYS;
	static const struct option opts[] = {{"trust", 1, 0, 't'},
					     {"root", 1, 0, 'r'},
					     {"json", 0, 0, 'j'},
					     {"holder", 1, 0, 'H'},
					     {"min-version", 1, 0, 'm'},
					     {"grace-days", 1, 0, 'g'},
					     {"access-code-file", 1, 0, 'A'},
					     {0, 0, 0, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': trust = optarg; break;
		case 'r': root = optarg; break;
		case 'j': json = 1; break;
		case 'H': holder_hex = optarg; break;
		case 'm': min_version = (unsigned)atoi(optarg); break;
		case 'g': grace = (unsigned)atoi(optarg); break;
		case 'A': code_file = optarg; break;
		default: return cli_usage(argv[0]);
		}
	}
	if (!trust || !root || optind != argc - 1)
		return cli_usage(argv[0]);
	struct lm_trust *t;
	if (cli_load_trust(trust, root, min_version, &t))
		return EXIT_FAIL;
	uint8_t *buf;
	size_t len;
	int rc;
	if (cli_read_file(argv[optind], LM_CARD_MAX, &buf, &len)) {
		lm_trust_free(t);
		return EXIT_FAIL;
	}
	uint64_t grace_s = (uint64_t)grace * 86400;
	if (lm_protect_is_v2(buf, len)) {
		/* A protected image: opened with the access code, then as any card. */
		struct lm_card card;
		rc = cli_open_protected(buf, len, len, code_file, buf, &card, NULL);
		if (!rc)
			rc = cli_report_card(t, &card, json, grace_s);
		lm_protect_wipe(buf, len);
	} else if (is_image(buf, len)) {
		rc = cli_report_image(t, buf, len, len, json, grace_s);
	} else {
		/* A detached entry: the holder is --holder, else its hint. */
		struct lm_cose cose;
		uint8_t holder[LM_HOLDER_LEN];
		int err = lm_cose_decode(buf, len, &cose);
		rc = 0;
		if (holder_hex) {
			if (cli_parse_holder(holder_hex, holder))
				rc = EXIT_USAGE;
		} else if (!err && cose.hint) {
			memcpy(holder, cose.hint, LM_HOLDER_LEN);
		} else {
			memset(holder, 0, sizeof(holder));
			if (!err) {
				fprintf(stderr, "laufmappe: this entry names no holder: give "
						"--holder ID\n");
				rc = EXIT_USAGE;
			}
		}
		if (!rc) {
			int stale = lm_trust_staleness(t, (uint64_t)time(NULL), grace_s);
			cli_warn_staleness(t, stale);
			struct lm_verify_result *r = malloc(sizeof(*r));
			if (!r) {
				free(buf);
				lm_trust_free(t);
				return cli_fail("verify", LM_ERR_NOMEM);
			}
			int verr = lm_trust_verify(t, holder, buf, len, r);
			if (verr) { /* could not be checked: a failure, not a "no" */
				free(r);
				free(buf);
				lm_trust_free(t);
				return cli_fail("verify", verr);
			}
			if (stale == 2 && r->verdict == LM_VALID)
				r->verdict = LM_KEY_NOT_VALID;
			if (json) {
				json_object *o = lm_json_verified(r);
				cli_print_json(o);
				json_object_put(o);
			} else {
				printf("%s: %s%s%s\n", lm_verdict_name(r->verdict),
				       cli_verdict_text(r->verdict), r->issuer ? ", issuer: " : "",
				       r->issuer ? r->issuer->name : "");
			}
			rc = r->verdict == LM_VALID ? 0 : EXIT_NO;
			free(r);
		}
	}
	free(buf);
	lm_trust_free(t);
	return rc;
}

static void show_entry_text(const uint8_t *p, size_t len, size_t index)
{
	struct lm_cose c;
	struct lm_entry e;
	int err = lm_entry_decode(p, len, &c, &e);
	if (err) {
		printf("%3zu  malformed: %s\n", index + 1, cli_strerror(err));
		return;
	}
	json_object *o = lm_json_entry(&e);
	char kid[2 * LM_KID_LEN + 1];
	lm_hex_encode(c.kid, LM_KID_LEN, kid);
	printf("%3zu  %s %s (%s) kid %s %s\n", index + 1,
	       json_object_get_string(json_object_object_get(o, "type")),
	       json_object_get_string(json_object_object_get(o, "date")),
	       json_object_get_string(json_object_object_get(o, "title")), kid,
	       json_object_to_json_string_ext(json_object_object_get(o, "fields"),
					      JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static json_object *show_entry_json(const uint8_t *p, size_t len)
{
	struct lm_cose c;
	struct lm_entry e;
	int err = lm_entry_decode(p, len, &c, &e);
	json_object *o;
	if (err) {
		o = json_object_new_object();
		json_object_object_add(o, "error", json_object_new_string(lm_strerror(err)));
	} else {
		o = lm_json_entry(&e);
		char kid[2 * LM_KID_LEN + 1];
		lm_hex_encode(c.kid, LM_KID_LEN, kid);
		json_object_object_add(o, "kid", json_object_new_string(kid));
	}
	/* The id is the SHA-256 of the card form (docs/format.md 1): an entry
	 * file's holder hint is left out, so the id is the one `card read`
	 * shows and `card delete` takes. */
	uint8_t id[32], bare[LM_ENTRY_MAX];
	char idh[65];
	struct lm_cose cose;
	size_t blen;
	if (lm_cose_decode(p, len, &cose) == LM_OK && cose.hint &&
	    lm_cose_encode_bare(&cose, bare, sizeof(bare), &blen) == LM_OK)
		lm_sha256(bare, blen, id);
	else
		lm_sha256(p, len, id);
	lm_hex_encode(id, 32, idh);
	json_object_object_add(o, "id", json_object_new_string(idh));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)len));
	return o;
}

static int cmd_show(int argc, char **argv)
{
	int json = 0;
	const char *code_file = NULL;
	static const struct option opts[] = {
		{"json", 0, 0, 'j'}, {"access-code-file", 1, 0, 'A'}, {0, 0, 0, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 'A')
			code_file = optarg;
		else
			return cli_usage(argv[0]);
	}
	if (optind != argc - 1)
		return cli_usage(argv[0]);
	uint8_t *buf;
	size_t len;
	if (cli_read_file(argv[optind], LM_CARD_MAX, &buf, &len))
		return EXIT_FAIL;
	int rc = 0;
	if (!is_image(buf, len)) {
		if (json) {
			json_object *o = show_entry_json(buf, len);
			cli_print_json(o);
			json_object_put(o);
		} else {
			show_entry_text(buf, len, 0);
		}
		struct lm_cose co;
		struct lm_entry e;
		rc = lm_entry_decode(buf, len, &co, &e) ? EXIT_FAIL : 0;
		free(buf);
		return rc;
	}
	struct lm_card card;
	int err = LM_OK;
	if (lm_protect_is_v2(buf, len)) {
		rc = cli_open_protected(buf, len, len, code_file, buf, &card, NULL);
		if (rc) {
			free(buf);
			return rc;
		}
	} else {
		err = lm_card_parse(buf, len, len, &card);
	}
	if (err) {
		free(buf);
		return cli_fail(argv[optind], err);
	}
	size_t used = card.capacity - lm_card_free(&card);
	char hh[2 * LM_HOLDER_LEN + 1];
	lm_hex_encode(card.holder, LM_HOLDER_LEN, hh);
	json_object *arr = json_object_new_array();
	if (!json)
		printf("holder %s, %zu of %zu bytes used, %zu free\n", hh, used, card.capacity,
		       lm_card_free(&card));
	size_t off = 0, n = 0, elen;
	const uint8_t *e;
	while ((err = lm_card_next(&card, &off, &e, &elen)) == LM_OK) {
		if (json)
			json_object_array_add(arr, show_entry_json(e, elen));
		else
			show_entry_text(e, elen, n);
		n++;
	}
	if (json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "holder", json_object_new_string(hh));
		json_object_object_add(o, "capacity",
				       json_object_new_int64((int64_t)card.capacity));
		json_object_object_add(o, "used", json_object_new_int64((int64_t)used));
		json_object_object_add(o, "version", json_object_new_int(card.version));
		json_object_object_add(o, "entries", arr);
		cli_print_json(o);
		json_object_put(o);
	} else {
		json_object_put(arr);
	}
	if (err != 1) {
		fprintf(stderr, "laufmappe: log damaged after entry %zu: %s\n", n,
			cli_strerror(err));
		rc = EXIT_FAIL;
	}
	lm_protect_wipe(buf, len);
	free(buf);
	return rc;
}

static int cmd_holder_new(int argc, char **argv)
{
	if (argc != 1)
		return cli_usage(argv[0]);
	uint8_t h[LM_HOLDER_LEN];
	char hex[2 * LM_HOLDER_LEN + 1];
	int err = lm_random(h, sizeof(h));
	if (err)
		return cli_fail("holder new", err);
	lm_hex_encode(h, sizeof(h), hex);
	printf("%s\n", hex);
	return 0;
}

static int cmd_image_new(int argc, char **argv)
{
	const char *holder_hex = NULL, *out = NULL;
	long cap = 0, iterations = 0;
	int protect = 0;
	static const struct option opts[] = {
		{"holder", 1, 0, 'H'},	{"capacity", 1, 0, 'c'},       {"out", 1, 0, 'o'},
		{"protect", 0, 0, 'p'}, {"kdf-iterations", 1, 0, 'i'}, {0, 0, 0, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'H')
			holder_hex = optarg;
		else if (c == 'c')
			cap = atol(optarg);
		else if (c == 'o')
			out = optarg;
		else if (c == 'p')
			protect = 1;
		else if (c == 'i')
			iterations = atol(optarg);
		else
			return cli_usage(argv[0]);
	}
	if (!holder_hex || !out || optind != argc || (iterations && !protect))
		return cli_usage(argv[0]);
	long header = protect ? LM_PROTECT_HEADER_LEN : LM_CARD_HEADER_LEN;
	if (cap < header + 4 || cap > LM_CARD_MAX) {
		fprintf(stderr, "laufmappe: --capacity must be %ld..%d bytes\n", header + 4,
			LM_CARD_MAX);
		return EXIT_USAGE;
	}
	if (iterations && (iterations < LM_PROTECT_ITER_MIN || iterations > LM_PROTECT_ITER_MAX ||
			   iterations % LM_PROTECT_ITER_UNIT)) {
		fprintf(stderr, "laufmappe: --kdf-iterations must be a multiple of %u in %u..%u\n",
			LM_PROTECT_ITER_UNIT, LM_PROTECT_ITER_MIN, LM_PROTECT_ITER_MAX);
		return EXIT_USAGE;
	}
	uint8_t holder[LM_HOLDER_LEN];
	if (cli_parse_holder(holder_hex, holder))
		return EXIT_USAGE;
	struct stat st;
	if (stat(out, &st) == 0) {
		fprintf(stderr, "laufmappe: %s exists\n", out);
		return EXIT_FAIL;
	}
	if (protect)
		return cli_image_new_protected(holder, (size_t)cap, (uint32_t)iterations, out);
	uint8_t *img = calloc(1, (size_t)cap);
	if (!img)
		return cli_fail("image new", LM_ERR_NOMEM);
	lm_card_format(img, holder);
	int err = lm_file_write(out, img, (size_t)cap, 0644);
	free(img);
	return err ? cli_fail(out, err) : 0;
}

static int cmd_image_append(int argc, char **argv)
{
	const char *code_file = NULL;
	static const struct option opts[] = {{"access-code-file", 1, 0, 'A'}, {0, 0, 0, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'A')
			code_file = optarg;
		else
			return cli_usage(argv[0]);
	}
	if (argc - optind != 2)
		return cli_usage(argv[0]);
	argv += optind - 1; /* argv[1] IMAGE, argv[2] ENTRY, as before */
	uint8_t *img = NULL, *ent = NULL, *plain = NULL;
	struct lm_protect_keys keys;
	struct lm_protect_plan *pplan = NULL;
	size_t ilen = 0, elen;
	int rc = EXIT_FAIL;
	memset(&keys, 0, sizeof(keys));
	if (cli_read_file(argv[1], LM_CARD_MAX, &img, &ilen) ||
	    cli_read_file(argv[2], LM_ENTRY_MAX, &ent, &elen))
		goto out;
	struct lm_card card;
	struct lm_cose cose;
	int err = LM_OK;
	if (lm_protect_is_v2(img, ilen)) {
		/* Opened into a copy: the file keeps its ciphertext, the plan adds to it. */
		plain = malloc(ilen);
		pplan = malloc(sizeof(*pplan));
		if (!plain || !pplan)
			err = LM_ERR_NOMEM;
		else if ((rc = cli_open_protected(img, ilen, ilen, code_file, plain, &card, &keys)))
			goto out;
	} else {
		err = lm_card_parse(img, ilen, ilen, &card);
	}
	if (err) {
		rc = cli_fail(argv[1], err);
		goto out;
	}
	err = lm_cose_decode(ent, elen, &cose);
	if (err) {
		rc = cli_fail(argv[2], err);
		goto out;
	}
	if (cose.hint && memcmp(cose.hint, card.holder, LM_HOLDER_LEN) != 0) {
		rc = cli_fail(argv[2], LM_ERR_HOLDER);
		goto out;
	}
	/* Cards carry entries without the hint: the card header names the holder. */
	uint8_t bare[LM_ENTRY_MAX];
	size_t blen;
	err = lm_cose_encode_bare(&cose, bare, sizeof(bare), &blen);
	struct lm_card_plan plan, *p = pplan ? &pplan->card : &plan;
	if (!err)
		err = pplan ? lm_protect_plan_append(&card, &keys, bare, blen, pplan)
			    : lm_card_plan_append(&card, bare, blen, &plan);
	if (!err)
		err = lm_card_apply(img, ilen, p);
	if (!err)
		err = lm_file_write(argv[1], img, ilen, 0644);
	if (err) {
		rc = cli_fail(argv[1], err);
		goto out;
	}
	fprintf(stderr, "appended %zu bytes; %zu bytes free\n", blen,
		lm_card_free(&card) - (size_t)(p->new_committed - card.committed));
	rc = 0;
out:
	lm_protect_keys_wipe(&keys);
	if (plain)
		lm_protect_wipe(plain, ilen);
	free(plain);
	free(pplan);
	free(img);
	free(ent);
	return rc;
}

/* Write each entry of an image, in card form, to DIR/NN.cose (export, vectors). */
static int cmd_image_entries(int argc, char **argv)
{
	if (argc != 3)
		return cli_usage(argv[0]);
	uint8_t *img;
	size_t len;
	if (cli_read_file(argv[1], LM_CARD_MAX, &img, &len))
		return EXIT_FAIL;
	struct lm_card card;
	int err = lm_card_parse(img, len, len, &card);
	if (!err && mkdir(argv[2], 0755) != 0 && errno != EEXIST)
		err = LM_ERR_IO;
	size_t off = 0, elen, n = 0;
	const uint8_t *e;
	while (!err && (err = lm_card_next(&card, &off, &e, &elen)) == LM_OK) {
		char out[4096];
		snprintf(out, sizeof(out), "%s/%02zu.cose", argv[2], ++n);
		err = lm_file_write(out, e, elen, 0644);
	}
	free(img);
	if (err != 1)
		return cli_fail(argv[1], err);
	printf("%zu entries written to %s\n", n, argv[2]);
	return 0;
}

const struct cli_cmd cli_cmds_core[] = {
	{"key generate", cmd_key_generate, "FILE",
	 "Generate a P-256 key: FILE (mode 0600) and FILE.pub; prints the kid."},
	{"key kid", cmd_key_kid, "KEYFILE", "Print the kid of a public (or private) key file."},
	{"trust create", cmd_trust_create, "--root ROOT --out TRUST [--next-update-days N]",
	 "Create an empty trust list (version 1) signed by the root key."},
	{"trust add", cmd_trust_add,
	 "TRUST --root ROOT --pub ISSUER.pub --name NAME --role ROLE --types IK,DTZ "
	 "[--from DATE] [--until DATE]",
	 "Add an institution's key; bumps the version and re-signs."},
	{"trust revoke", cmd_trust_revoke, "TRUST --root ROOT --kid KID [--at DATE]",
	 "Revoke a key: entries dated from DATE (default today) on no longer verify."},
	{"trust show", cmd_trust_show, "TRUST --root ROOT.pub [--json]",
	 "Check a trust list against the root public key and list its institutions."},
	{"issue", cmd_issue,
	 "--key ISSUER --holder ID --type TYPE [--date DATE] [--set FIELD=VALUE ...] --out ENTRY\n"
	 "       laufmappe issue --key ISSUER --batch CLASS.csv --out-dir DIR",
	 "Sign an entry for a holder, or a whole class from a CSV "
	 "(header: holder,type,date,FIELD...)."},
	{"verify", cmd_verify,
	 "--trust TRUST --root ROOT.pub FILE [--holder ID] [--json] [--min-version N] "
	 "[--grace-days N] [--access-code-file CODEFILE]",
	 "Verify an entry or every entry of a card image; exit 0 only if all are valid. "
	 "A protected image wants its access code (from CODEFILE, else asked on the terminal)."},
	{"show", cmd_show, "FILE [--json] [--access-code-file CODEFILE]",
	 "Decode an entry or card image without verifying it."},
	{"holder new", cmd_holder_new, "", "Print a new random holder id."},
	{"image new", cmd_image_new,
	 "--holder ID --capacity BYTES --out IMAGE [--protect [--kdf-iterations N]]",
	 "Create an empty card image file; --protect makes a protected one (format version 2) "
	 "and prints its access code and the holder's recovery line, once."},
	{"image append", cmd_image_append, "[--access-code-file CODEFILE] IMAGE ENTRY",
	 "Append a signed entry to a card image file (one commit)."},
	{"image entries", cmd_image_entries, "IMAGE DIR",
	 "Write each entry of a card image, as stored on the card, to DIR/NN.cose."},
	{NULL, NULL, NULL, NULL},
};
