/*
 * laufmappe.c - the `laufmappe` command: dispatch and shared helpers.
 */
#include <libintl.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_json.h"
#include "laufmappe/lm_util.h"

/* Every command table; the dispatcher and the overview walk them in order. */
static const struct cli_cmd *const tables[] = {cli_cmds_core, cli_cmds_card, cli_cmds_qr,
					       cli_cmds_vault};

static const struct cli_cmd *find_cmd(const char *name)
{
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct cli_cmd *c = tables[t]; c->name; c++)
			if (!strcmp(c->name, name))
				return c;
	return NULL;
}

/* A catalog lookup with a context key (what gettext's pgettext does). */
const char *cli_tr(const char *group, const char *name, const char *english)
{
	char key[256];
	if (snprintf(key, sizeof(key), "%s.%s%c%s", group, name, 4, english) >= (int)sizeof(key))
		return english;
	const char *t = dgettext("laufmappe", key);
	return t == key || !strcmp(t, key) ? english : t;
}

const char *cli_verdict_text(enum lm_verdict v)
{
	return cli_tr("cli.verdict", lm_verdict_name(v), lm_verdict_text(v));
}

const char *cli_strerror(int err)
{
	return cli_tr("cli.err", lm_errname(err), lm_strerror(err));
}

int cli_fail(const char *what, int err)
{
	fprintf(stderr, "laufmappe: %s: %s\n", what, cli_strerror(err));
	return EXIT_FAIL;
}

int cli_usage(const char *name)
{
	const struct cli_cmd *c = find_cmd(name);
	fprintf(stderr, "usage: laufmappe %s %s\n", name, c ? c->usage : "");
	return EXIT_USAGE;
}

int cli_wants_help(int argc, char **argv, const char *name)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			const struct cli_cmd *c = find_cmd(name);
			printf("usage: laufmappe %s %s\n\n%s\n", name, c->usage, c->help);
			return 1;
		}
	return 0;
}

int cli_read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	int err = lm_file_read(path, max, buf, len);
	if (err)
		fprintf(stderr, "laufmappe: %s: %s\n", path, cli_strerror(err));
	return err;
}

int cli_parse_holder(const char *hex, uint8_t holder[LM_HOLDER_LEN])
{
	if (lm_hex_decode(hex, holder, LM_HOLDER_LEN) != LM_OK) {
		fprintf(stderr, "laufmappe: holder id must be %d hex digits: %s\n",
			2 * LM_HOLDER_LEN, hex);
		return LM_ERR_BAD_VALUE;
	}
	return LM_OK;
}

int cli_parse_types(const char *list, uint32_t *types)
{
	*types = 0;
	char *copy = strdup(list), *save = NULL;
	if (!copy)
		return LM_ERR_NOMEM;
	int err = LM_OK;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct lm_type_def *t = lm_type_by_name(tok);
		if (!t) {
			fprintf(stderr, "laufmappe: unknown entry type: %s\n", tok);
			err = LM_ERR_BAD_VALUE;
			break;
		}
		*types |= 1u << t->code;
	}
	free(copy);
	return err;
}

void cli_print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
}

int cli_load_trust(const char *trust_path, const char *root_pub, uint32_t min_version,
		   struct lm_trust **out)
{
	*out = NULL;
	struct lm_key *root = NULL;
	int err = lm_key_load_public(root_pub, &root);
	if (err) {
		fprintf(stderr, "laufmappe: root key %s: %s\n", root_pub, cli_strerror(err));
		return err;
	}
	uint8_t *buf;
	size_t len;
	err = cli_read_file(trust_path, LM_TRUST_MAX, &buf, &len);
	if (err) {
		lm_key_free(root);
		return err;
	}
	struct lm_trust *t = lm_trust_new();
	if (!t)
		err = LM_ERR_NOMEM;
	else
		err = lm_trust_load(t, buf, len, root, min_version);
	free(buf);
	lm_key_free(root);
	if (err) {
		fprintf(stderr, "laufmappe: trust list %s: %s\n", trust_path, cli_strerror(err));
		lm_trust_free(t);
		return err;
	}
	*out = t;
	return LM_OK;
}

static void print_entry_line(const struct lm_verify_result *r, size_t index)
{
	char date[11] = "?";
	const struct lm_type_def *t = lm_type_by_code(r->entry.type);
	if (r->verdict != LM_MALFORMED)
		lm_date_format(r->entry.v[LM_F_DATE].num, date);
	printf("%3zu  %-16s %-5s %s  %s%s%s\n", index + 1, lm_verdict_name(r->verdict),
	       r->verdict == LM_MALFORMED ? "?" : (t ? t->name : "?"), date,
	       r->issuer ? r->issuer->name : "-", r->verdict == LM_VALID ? "" : "  -- ",
	       r->verdict == LM_VALID ? "" : cli_verdict_text(r->verdict));
}

void cli_msgf(const char *name, const char *english, ...)
{
	va_list ap;
	va_start(ap, english);
	fputs("laufmappe: ", stderr);
	vfprintf(stderr, cli_tr("cli.msg", name, english), ap);
	fputc('\n', stderr);
	va_end(ap);
}

void cli_warn_staleness(const struct lm_trust *t, int stale)
{
	char d[11];
	lm_date_format((uint32_t)(t->next_update / 86400), d);
	if (stale == 2)
		cli_msgf("trust_expired",
			 "warning: the trust list (version %u) was due for update on %s; "
			 "past the grace period, nothing counts as verified",
			 t->version, d);
	else if (stale)
		cli_msgf("trust_stale",
			 "warning: the trust list (version %u) was due for update on %s",
			 t->version, d);
}

int cli_report_image(const struct lm_trust *t, const uint8_t *img, size_t len, size_t capacity,
		     int json, uint64_t grace)
{
	struct lm_card card;
	int err = lm_card_parse(img, len, capacity, &card);
	if (err)
		return cli_fail("card image", err);
	return cli_report_card(t, &card, json, grace);
}

int cli_report_card(const struct lm_trust *t, const struct lm_card *c, int json, uint64_t grace)
{
	int stale = lm_trust_staleness(t, (uint64_t)time(NULL), grace);
	cli_warn_staleness(t, stale);
	struct lm_card card = *c;
	size_t used = card.capacity - lm_card_free(&card);
	int err;
	json_object *arr = json_object_new_array();
	struct lm_verify_result *r = malloc(sizeof(*r));
	if (!r) {
		json_object_put(arr);
		return cli_fail("verify", LM_ERR_NOMEM);
	}
	size_t off = 0, n = 0, valid = 0, elen;
	const uint8_t *e;
	char hh[2 * LM_HOLDER_LEN + 1];
	lm_hex_encode(card.holder, LM_HOLDER_LEN, hh);
	if (!json)
		printf("holder %s, %zu of %zu bytes used\n", hh, used, card.capacity);
	int verr = LM_OK;
	while ((err = lm_card_next(&card, &off, &e, &elen)) == LM_OK) {
		verr = lm_trust_verify(t, card.holder, e, elen, r);
		if (verr)
			break; /* could not be checked: a failure, not a verdict */
		if (stale == 2 && r->verdict == LM_VALID)
			r->verdict = LM_KEY_NOT_VALID; /* trust list expired */
		valid += r->verdict == LM_VALID;
		if (json)
			json_object_array_add(arr, lm_json_verified(r));
		else
			print_entry_line(r, n);
		n++;
	}
	free(r);
	if (verr) {
		json_object_put(arr);
		return cli_fail("verify", verr);
	}
	int damaged = err != 1;
	if (json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "holder", json_object_new_string(hh));
		json_object_object_add(o, "capacity",
				       json_object_new_int64((int64_t)card.capacity));
		json_object_object_add(o, "used", json_object_new_int64((int64_t)used));
		json_object_object_add(o, "trust_version", json_object_new_int64(t->version));
		json_object_object_add(o, "trust_stale", json_object_new_boolean(stale != 0));
		json_object_object_add(o, "entries", arr);
		json_object_object_add(o, "valid", json_object_new_int64((int64_t)valid));
		if (damaged)
			json_object_object_add(o, "log_error",
					       json_object_new_string(lm_strerror(err)));
		cli_print_json(o);
		json_object_put(o);
	} else {
		json_object_put(arr);
		printf("%zu of %zu entries valid\n", valid, n);
		if (damaged)
			printf("log damaged after entry %zu: %s\n", n, cli_strerror(err));
	}
	return (valid == n && !damaged) ? 0 : EXIT_NO;
}

static void usage_all(FILE *f)
{
	fprintf(f, "usage: laufmappe COMMAND [ARGS]   (laufmappe COMMAND --help for details)\n\n");
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct cli_cmd *c = tables[t]; c->name; c++)
			fprintf(f, "  %-18s %s\n", c->name, c->help);
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	const char *dir = getenv("LAUFMAPPE_LOCALEDIR");
	bindtextdomain("laufmappe", dir ? dir : LM_LOCALEDIR);
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage_all(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	/* Commands are one or two words: "show", "key generate". */
	const struct cli_cmd *c = NULL;
	int used = 1;
	if (argc >= 3) {
		char two[64];
		snprintf(two, sizeof(two), "%s %s", argv[1], argv[2]);
		c = find_cmd(two);
		used = 2;
	}
	if (!c) {
		c = find_cmd(argv[1]);
		used = 1;
	}
	if (!c) {
		fprintf(stderr, "laufmappe: unknown command: %s\n", argv[1]);
		usage_all(stderr);
		return EXIT_USAGE;
	}
	/* The command sees argv[0] = its name, so getopt works as usual. */
	int sub_argc = argc - used;
	char **sub_argv = argv + used;
	sub_argv[0] = (char *)c->name;
	if (cli_wants_help(sub_argc, sub_argv, c->name))
		return 0;
	return c->run(sub_argc, sub_argv);
}
