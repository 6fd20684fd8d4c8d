/*
 * cmd_card.c - commands that talk to a card through a reader: PC/SC (the
 * default), libnfc (--nfc CONNSTRING) or any transport spec (--transport
 * SPEC, e.g. "fake:IMAGE" for tests); without an option, the spec in
 * $LAUFMAPPE_READER, else PC/SC.  Every failure says what happened
 * and what to do next, in one sentence.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "laufmappe/lm_cose.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_json.h"
#include "laufmappe/lm_protect.h"
#include "laufmappe/lm_transport.h"
#include "laufmappe/lm_util.h"

/* What to tell people for the errors a reader can give, in their language
 * (catalog context "cli.advice.ERRNAME"). */
static const struct {
	int err;
	const char *en;
} advice_texts[] = {
	{LM_ERR_NO_SERVICE, "pcscd is not running: start it (systemctl start pcscd) and try again"},
	{LM_ERR_SERVICE_GONE, "pcscd stopped during the operation: start it and tap again"},
	{LM_ERR_NO_READER, "no reader found: plug it in (or check --reader / --nfc)"},
	{LM_ERR_READER_GONE, "the reader was unplugged: plug it in and tap again"},
	{LM_ERR_NO_CARD, "no card on the reader: put the card on it (or use --wait SECONDS)"},
	{LM_ERR_CARD_REMOVED, "the card was taken away too early: the card still holds what it "
			      "held before; put it back and try again"},
	{LM_ERR_CARD_RESET, "another program reset the card: try again"},
	{LM_ERR_READER_BUSY, "another program or driver holds the reader: close it and try again"},
	{LM_ERR_UNKNOWN_CARD,
	 "this card is neither a Laufmappe applet card nor an NTAG213/215/216"},
	{LM_ERR_NOT_FORMATTED,
	 "the card holds no Laufmappe yet: laufmappe card format --holder ID"},
	{LM_ERR_CARD_FULL,
	 "the card is full: nothing was written; the entry stays in the office cache"},
	{LM_ERR_WRITE_REFUSED, "the card refused the write (locked or password-protected)"},
	{LM_ERR_READBACK, "the card does not read back what was written: check it with card read"},
	{LM_ERR_UNSUPPORTED, "this build has no such transport"},
	{LM_ERR_LOCKED, "the card is protected: give its access code (--access-code-file FILE, or "
			"type it on a terminal)"},
	{LM_ERR_BLOCKED, "the card is blocked after too many wrong access codes: wipe it (card "
			 "wipe --yes) and restore the folder from the office's copy"},
};

static const char *advice(int err)
{
	for (size_t i = 0; i < sizeof(advice_texts) / sizeof(advice_texts[0]); i++)
		if (advice_texts[i].err == err)
			return cli_tr("cli.advice", lm_errname(err), advice_texts[i].en);
	return NULL;
}

/* The advice says what happened and what to do; without one, the error. */
static int card_fail(const char *what, int err)
{
	const char *a = advice(err);
	fprintf(stderr, "laufmappe: %s: %s\n", what, a ? a : cli_strerror(err));
	return EXIT_FAIL;
}

/* Options every card command shares. */
struct card_opts {
	char spec[512];
	int wait_s;
	int json;
	int force;
	int protect;	       /* --protect: format version 2 with a new access code */
	long iterations;       /* --kdf-iterations N (0: calibrated to about 100 ms) */
	const char *code_file; /* --access-code-file FILE: a protected card's code */
	const char *trust, *root, *holder, *kind;
};

enum {
	OPT_READER = 1000,
	OPT_NFC,
	OPT_TRANSPORT,
	OPT_WAIT,
	OPT_JSON,
	OPT_TRUST,
	OPT_ROOT,
	OPT_HOLDER,
	OPT_KIND,
	OPT_FORCE,
	OPT_YES,
	OPT_CODE_FILE,
	OPT_PROTECT,
	OPT_ITER
};

static const struct option card_options[] = {
	{"reader", 1, 0, OPT_READER},
	{"nfc", 1, 0, OPT_NFC},
	{"transport", 1, 0, OPT_TRANSPORT},
	{"wait", 1, 0, OPT_WAIT},
	{"json", 0, 0, OPT_JSON},
	{"trust", 1, 0, OPT_TRUST},
	{"root", 1, 0, OPT_ROOT},
	{"holder", 1, 0, OPT_HOLDER},
	{"kind", 1, 0, OPT_KIND},
	{"force", 0, 0, OPT_FORCE},
	{"yes", 0, 0, OPT_YES},
	{"access-code-file", 1, 0, OPT_CODE_FILE},
	{"protect", 0, 0, OPT_PROTECT},
	{"kdf-iterations", 1, 0, OPT_ITER},
	{0, 0, 0, 0},
};

/* Parse the shared options; returns the index of the first operand or -1. */
static int parse_card_opts(int argc, char **argv, struct card_opts *o)
{
	memset(o, 0, sizeof(*o));
	/* The office's configured default (e.g. its PN532's connection string);
	 * an option on the command line wins. */
	const char *def = getenv("LAUFMAPPE_READER");
	snprintf(o->spec, sizeof(o->spec), "%s", def && *def ? def : "pcsc");
	int c;
	while ((c = getopt_long(argc, argv, "", card_options, NULL)) != -1) {
		switch (c) {
		case OPT_READER: snprintf(o->spec, sizeof(o->spec), "pcsc:%s", optarg); break;
		case OPT_NFC: snprintf(o->spec, sizeof(o->spec), "nfc:%s", optarg); break;
		case OPT_TRANSPORT: snprintf(o->spec, sizeof(o->spec), "%s", optarg); break;
		case OPT_WAIT: o->wait_s = atoi(optarg); break;
		case OPT_JSON: o->json = 1; break;
		case OPT_TRUST: o->trust = optarg; break;
		case OPT_ROOT: o->root = optarg; break;
		case OPT_HOLDER: o->holder = optarg; break;
		case OPT_KIND: o->kind = optarg; break;
		case OPT_FORCE:
		case OPT_YES: o->force = 1; break;
		case OPT_CODE_FILE: o->code_file = optarg; break;
		case OPT_PROTECT: o->protect = 1; break;
		case OPT_ITER:
			o->iterations = atol(optarg);
			if (o->iterations < LM_PROTECT_ITER_MIN ||
			    o->iterations > LM_PROTECT_ITER_MAX ||
			    o->iterations % LM_PROTECT_ITER_UNIT) {
				fprintf(stderr,
					"laufmappe: --kdf-iterations must be a multiple of %u in "
					"%u..%u\n",
					LM_PROTECT_ITER_UNIT, LM_PROTECT_ITER_MIN,
					LM_PROTECT_ITER_MAX);
				return -1;
			}
			break;
		default: return -1;
		}
	}
	return optind;
}

/* Open the transport the options name.  Prints why on failure. */
static int open_transport(const struct card_opts *o, struct lm_transport **t)
{
	int err = lm_transport_open(o->spec, t);
	if (err == LM_ERR_ARG) {
		cli_msgf("not_a_reader",
			 "%s is not a reader: use pcsc, pcsc:NAME, nfc or nfc:CONNSTRING "
			 "(--reader, --nfc, --transport or LAUFMAPPE_READER)",
			 o->spec);
		return EXIT_FAIL;
	}
	return err ? card_fail(o->spec, err) : 0;
}

/* Open the transport, wait for a card, identify it.  Prints why on failure. */
static int connect_card(const struct card_opts *o, struct lm_transport **t,
			struct lm_card_info *info)
{
	int err = open_transport(o, t);
	if (err)
		return err;
	err = lm_transport_wait_card(*t, o->wait_s > 0 ? o->wait_s * 1000 : 0);
	if (!err)
		err = lm_transport_identify(*t, info);
	if (err) {
		lm_transport_close(*t);
		*t = NULL;
		return card_fail("card", err);
	}
	return 0;
}

/*
 * connect_card, then a protected card unlocked with its access code
 * (--access-code-file or the terminal); canon (may be NULL) keeps the
 * canonical code for a rewrite.  Prints why on failure.
 */
static int connect_unlocked(const struct card_opts *o, struct lm_transport **t,
			    struct lm_card_info *info, char canon[LM_CODE_LEN + 1])
{
	int rc = connect_card(o, t, info);
	if (!rc)
		rc = cli_unlock_card(*t, info, o->code_file, canon);
	if (rc && *t) {
		lm_transport_close(*t);
		*t = NULL;
	}
	return rc;
}

/* What a protected card shows without its code: that it is protected. */
static void print_protected(const struct card_opts *o, const struct lm_card_info *info)
{
	const char *state = info->protection == LM_PROT_BLOCKED ? "blocked" : "protected";
	if (o->json) {
		json_object *r = json_object_new_object();
		json_object_object_add(r, "kind",
				       json_object_new_string(lm_card_kind_name(info->kind)));
		json_object_object_add(r, "protection", json_object_new_string(state));
		json_object_object_add(r, "format_version",
				       json_object_new_int(LM_PROTECT_VERSION));
		json_object_object_add(r, "tries_left", json_object_new_int(info->tries_left));
		json_object_object_add(r, "capacity",
				       json_object_new_int64((int64_t)info->capacity));
		cli_print_json(r);
		json_object_put(r);
	} else if (info->tries_left >= 0) {
		printf("%s card, %s (format version 2), %d tries left\n",
		       lm_card_kind_name(info->kind), state, info->tries_left);
	} else {
		printf("%s card, %s (format version 2)\n", lm_card_kind_name(info->kind), state);
	}
}

static int cmd_card_list_readers(int argc, char **argv)
{
	struct card_opts o;
	if (parse_card_opts(argc, argv, &o) != argc)
		return cli_usage(argv[0]);
	struct lm_transport *t;
	int err = open_transport(&o, &t);
	if (err)
		return err;
	struct lm_reader_info readers[16];
	size_t n = 0;
	err = lm_transport_list(t, readers, 16, &n);
	lm_transport_close(t);
	if (err)
		return card_fail("readers", err);
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		const char *card = readers[i].card_present < 0 ? "unknown"
				   : readers[i].card_present   ? "present"
							       : "none";
		if (o.json) {
			json_object *r = json_object_new_object();
			json_object_object_add(r, "name", json_object_new_string(readers[i].name));
			json_object_object_add(r, "card", json_object_new_string(card));
			json_object_array_add(arr, r);
		} else {
			printf("%zu  %s  card: %s\n", i, readers[i].name, card);
		}
	}
	if (o.json)
		cli_print_json(arr);
	else if (n == 0)
		printf("no readers\n");
	json_object_put(arr);
	return 0;
}

static int cmd_card_read(int argc, char **argv)
{
	struct card_opts o;
	if (parse_card_opts(argc, argv, &o) != argc || (!o.trust != !o.root))
		return cli_usage(argv[0]);
	struct lm_trust *trust = NULL;
	if (o.trust && cli_load_trust(o.trust, o.root, 0, &trust))
		return EXIT_FAIL;
	struct lm_transport *t;
	struct lm_card_info info;
	int rc = connect_card(&o, &t, &info);
	if (!rc && info.protection != LM_PROT_NONE) {
		/* Without its code a protected card shows only that it is one. */
		rc = cli_unlock_card(t, &info, o.code_file, NULL);
		if (rc) {
			print_protected(&o, &info);
			lm_transport_close(t);
		}
	}
	if (rc) {
		lm_trust_free(trust);
		return rc;
	}
	uint8_t *img = calloc(1, info.capacity);
	size_t len = 0;
	struct lm_card card;
	int err = img ? lm_transport_read_image(t, &info, img, &len, &card) : LM_ERR_NOMEM;
	lm_transport_close(t);
	if (err) {
		rc = card_fail("card read", err);
	} else if (trust && card.version == LM_PROTECT_VERSION) {
		rc = cli_report_card(trust, &card, o.json, 14 * 86400); /* decrypted */
	} else if (trust) {
		rc = cli_report_image(trust, img, len, info.capacity, o.json, 14 * 86400);
	} else {
		/* Without a trust list: the entries as stored, nothing verified. */
		size_t off = 0, elen, n = 0;
		const uint8_t *e;
		char hh[2 * LM_HOLDER_LEN + 1];
		lm_hex_encode(card.holder, LM_HOLDER_LEN, hh);
		json_object *arr = json_object_new_array();
		while ((err = lm_card_next(&card, &off, &e, &elen)) == LM_OK) {
			struct lm_cose c;
			struct lm_entry en;
			json_object *j = lm_entry_decode(e, elen, &c, &en) == LM_OK
						 ? lm_json_entry(&en)
						 : json_object_new_object();
			/* The id `card delete` takes (the SHA-256 of the entry's bytes). */
			uint8_t id[32];
			char idh[65] = "";
			if (lm_sha256(e, elen, id) == LM_OK)
				lm_hex_encode(id, 32, idh);
			json_object_object_add(j, "id", json_object_new_string(idh));
			json_object_array_add(arr, j);
			if (!o.json)
				printf("%3zu  %.12s  %s %s %s\n", ++n, idh,
				       json_object_get_string(json_object_object_get(j, "type")),
				       json_object_get_string(json_object_object_get(j, "date")),
				       json_object_to_json_string_ext(
					       json_object_object_get(j, "fields"),
					       JSON_C_TO_STRING_PLAIN));
		}
		if (o.json) {
			json_object *r = json_object_new_object();
			json_object_object_add(
				r, "kind", json_object_new_string(lm_card_kind_name(info.kind)));
			json_object_object_add(r, "holder", json_object_new_string(hh));
			json_object_object_add(r, "capacity",
					       json_object_new_int64((int64_t)info.capacity));
			json_object_object_add(r, "used", json_object_new_int64((int64_t)len));
			json_object_object_add(r, "format_version",
					       json_object_new_int(card.version));
			json_object_object_add(r, "entries", arr);
			cli_print_json(r);
			json_object_put(r);
		} else {
			json_object_put(arr);
			printf("%s card, holder %s, %zu of %zu bytes used (not verified: give "
			       "--trust "
			       "and --root)\n",
			       lm_card_kind_name(info.kind), hh, len, info.capacity);
		}
		rc = err == 1 ? 0 : card_fail("card log", err);
	}
	if (img)
		lm_protect_wipe(img, info.capacity);
	free(img);
	lm_trust_free(trust);
	return rc;
}

static int cmd_card_format(int argc, char **argv)
{
	struct card_opts o;
	if (parse_card_opts(argc, argv, &o) != argc || !o.holder)
		return cli_usage(argv[0]);
	uint8_t holder[LM_HOLDER_LEN];
	if (!strcmp(o.holder, "random")) {
		int err = lm_random(holder, sizeof(holder));
		if (err)
			return cli_fail("holder id", err);
	} else if (cli_parse_holder(o.holder, holder)) {
		return EXIT_USAGE;
	}
	if (o.iterations && !o.protect)
		return cli_usage(argv[0]);
	struct lm_transport *t;
	struct lm_card_info info;
	int rc = connect_card(&o, &t, &info);
	if (rc)
		return rc;
	if (o.kind && strcmp(o.kind, lm_card_kind_name(info.kind)) != 0) {
		fprintf(stderr, "laufmappe: the card on the reader is %s, not %s\n",
			lm_card_kind_name(info.kind), o.kind);
		lm_transport_close(t);
		return EXIT_FAIL;
	}
	/* A card that already holds a Laufmappe is only overwritten on request. */
	uint8_t hdr[LM_CARD_HEADER_LEN];
	size_t need;
	int err = lm_transport_read(t, 0, hdr, sizeof(hdr));
	if (!err &&
	    (info.protection != LM_PROT_NONE ||
	     lm_card_header_need(hdr, sizeof(hdr), &need) == LM_OK) &&
	    !o.force) {
		fprintf(stderr, "laufmappe: the card already holds a Laufmappe: wipe it first "
				"(card wipe) or give --force\n");
		lm_transport_close(t);
		return EXIT_FAIL;
	}
	/* A protected card is wiped only unlocked (a blocked one as it is). */
	if (!err && o.force && info.protection == LM_PROT_LOCKED &&
	    (rc = cli_unlock_card(t, &info, o.code_file, NULL)) != 0) {
		lm_transport_close(t);
		return rc;
	}
	if (!err && o.force)
		err = lm_transport_wipe(t);
	char code[LM_CODE_TEXT_LEN + 1] = "";
	uint8_t secret[LM_RECOVERY_LEN] = {0};
	uint32_t iterations = (uint32_t)o.iterations;
	int sent = 0; /* the protected format reached the card */
	if (!err && o.protect) {
		err = lm_code_generate(code);
		if (!err && !iterations)
			err = lm_protect_calibrate(100, &iterations);
		info.protection = LM_PROT_NONE;
		sent = !err;
		if (!err)
			err = lm_transport_format_protected(t, &info, holder, code, NULL,
							    iterations, NULL, secret);
	} else if (!err) {
		err = lm_transport_format(t, &info, holder);
	}
	lm_transport_close(t);
	if (err && sent && err != LM_ERR_CARD_FULL && err != LM_ERR_NOMEM) {
		/* Cut short: the card may hold the new protected image (the applet
		 * commits it whole; an NTAG may be cut after its magic), so the
		 * code that opens it is shown all the same. */
		cli_print_code_once(code, holder, secret, iterations);
		lm_protect_wipe(code, sizeof(code));
		lm_protect_wipe(secret, sizeof(secret));
		cli_msgf("format_cut",
			 "the protected format was cut short (%s): the card is blank, or formatted "
			 "and protected with the access code above; read it with that code, or "
			 "format again",
			 cli_strerror(err));
		return EXIT_FAIL;
	}
	if (err) {
		lm_protect_wipe(code, sizeof(code));
		return card_fail("card format", err);
	}
	char hh[2 * LM_HOLDER_LEN + 1];
	lm_hex_encode(holder, LM_HOLDER_LEN, hh);
	printf("%s\n", hh);
	if (o.protect) {
		cli_print_code_once(code, holder, secret, iterations);
		lm_protect_wipe(code, sizeof(code));
		lm_protect_wipe(secret, sizeof(secret));
	}
	fprintf(stderr, "formatted the %s card for holder %s: %zu bytes for entries\n",
		lm_card_kind_name(info.kind), hh,
		info.capacity - (o.protect ? LM_PROTECT_HEADER_LEN : LM_CARD_HEADER_LEN));
	return 0;
}

static int cmd_card_append(int argc, char **argv)
{
	struct card_opts o;
	int first = parse_card_opts(argc, argv, &o);
	if (first != argc - 1)
		return cli_usage(argv[0]);
	uint8_t *ent;
	size_t elen;
	if (cli_read_file(argv[first], LM_ENTRY_MAX, &ent, &elen))
		return EXIT_FAIL;
	struct lm_cose cose;
	int err = lm_cose_decode(ent, elen, &cose);
	if (err) {
		free(ent);
		return cli_fail(argv[first], err);
	}
	struct lm_transport *t;
	struct lm_card_info info;
	int rc = connect_unlocked(&o, &t, &info, NULL);
	if (rc) {
		free(ent);
		return rc;
	}
	uint8_t *img = calloc(1, info.capacity), bare[LM_ENTRY_MAX];
	size_t len, blen;
	struct lm_card card;
	err = img ? lm_transport_read_image(t, &info, img, &len, &card) : LM_ERR_NOMEM;
	if (!err && cose.hint && memcmp(cose.hint, card.holder, LM_HOLDER_LEN) != 0)
		err = LM_ERR_HOLDER;
	/* Cards carry entries without the hint: the card header names the holder. */
	if (!err)
		err = lm_cose_encode_bare(&cose, bare, sizeof(bare), &blen);
	if (!err)
		err = lm_transport_append(t, &info, bare, blen);
	lm_transport_close(t);
	if (img)
		lm_protect_wipe(img, info.capacity);
	free(img);
	free(ent);
	if (err)
		return card_fail("card append", err);
	fprintf(stderr, "appended %zu bytes to the %s card, read back and checked\n", blen,
		lm_card_kind_name(info.kind));
	return 0;
}

static int cmd_card_wipe(int argc, char **argv)
{
	struct card_opts o;
	if (parse_card_opts(argc, argv, &o) != argc)
		return cli_usage(argv[0]);
	if (!o.force) {
		fprintf(stderr,
			"laufmappe: card wipe erases every entry on the card: give --yes\n");
		return EXIT_USAGE;
	}
	struct lm_transport *t;
	struct lm_card_info info;
	/* A protected card is wiped unlocked; a blocked one may be wiped as it is. */
	int rc = connect_card(&o, &t, &info);
	if (!rc && info.protection == LM_PROT_LOCKED &&
	    (rc = cli_unlock_card(t, &info, o.code_file, NULL)) != 0)
		lm_transport_close(t);
	if (rc)
		return rc;
	int err = lm_transport_wipe(t);
	lm_transport_close(t);
	if (err)
		return card_fail("card wipe", err);
	fprintf(stderr, "wiped the %s card\n", lm_card_kind_name(info.kind));
	return 0;
}

/*
 * The copy `card delete` keeps before it touches the card (the library's
 * keep callback): an image file of the folder as it is to be, the card's
 * holder and every entry that stays, written atomically (fsync, rename)
 * before the wipe.  A rewrite cut short is put right from it with `card
 * restore`; it is removed once the card read back as asked.
 */
struct delete_copy {
	char path[64]; /* laufmappe-HOLDER.img (the first 8 hex digits), on the first call */
	uint8_t *img;
	size_t cap;
	struct lm_card card;
	int started;
	/* A protected folder's copy is protected too (an image file of format
	 * version 2 under the same code and recovery secret): a copy on disk
	 * must not be weaker than the card. */
	const char *code;	     /* canonical; NULL: a version 1 copy */
	const uint8_t *recovery;     /* the folder's recovery secret */
	uint32_t iterations;	     /* the count of the copy's format */
	struct lm_protect_keys keys; /* the copy's keys */
	struct lm_protect_plan plan; /* scratch for its writes */
};

/* keep_in_file for a protected copy: format version 2, append encrypted. */
static int keep_protected(struct delete_copy *k, const uint8_t holder[LM_HOLDER_LEN],
			  const uint8_t *entry, size_t len)
{
	int err = LM_OK;
	if (!k->started) {
		char hh[2 * LM_HOLDER_LEN + 1];
		lm_hex_encode(holder, LM_HOLDER_LEN, hh);
		snprintf(k->path, sizeof(k->path), "laufmappe-%.8s.img", hh);
		err = lm_protect_plan_format(k->cap, holder, k->code, k->recovery, k->iterations,
					     &k->plan, &k->keys, NULL);
		if (!err)
			err = lm_card_apply(k->img, k->cap, &k->plan.card);
		k->card = (struct lm_card){.version = LM_PROTECT_VERSION, .capacity = k->cap};
		k->started = 1;
	}
	if (!err && !entry)
		return lm_file_write(k->path, k->img, LM_PROTECT_HEADER_LEN + k->card.committed,
				     0600);
	if (!err)
		err = lm_protect_plan_append(&k->card, &k->keys, entry, len, &k->plan);
	if (!err)
		err = lm_card_apply(k->img, k->cap, &k->plan.card);
	if (!err)
		k->card.committed = k->plan.card.new_committed;
	return err;
}

static int keep_in_file(void *ctx, const uint8_t holder[LM_HOLDER_LEN], const uint8_t *entry,
			size_t len)
{
	struct delete_copy *k = ctx;
	struct lm_card_plan plan;
	int err = LM_OK;
	if (k->code)
		return keep_protected(k, holder, entry, len);
	if (!k->started) {
		char hh[2 * LM_HOLDER_LEN + 1];
		lm_hex_encode(holder, LM_HOLDER_LEN, hh);
		snprintf(k->path, sizeof(k->path), "laufmappe-%.8s.img", hh);
		lm_card_format(k->img, holder);
		err = lm_card_parse(k->img, LM_CARD_HEADER_LEN, k->cap, &k->card);
		k->started = 1;
	}
	if (!err && !entry)
		return lm_file_write(k->path, k->img, LM_CARD_HEADER_LEN + k->card.committed, 0600);
	if (!err)
		err = lm_card_plan_append(&k->card, entry, len, &plan);
	if (!err)
		err = lm_card_apply(k->img, k->cap, &plan);
	if (!err)
		err = lm_card_parse(k->img, LM_CARD_HEADER_LEN + plan.new_committed, k->cap,
				    &k->card);
	return err;
}

/* Free the state of a rewrite's copy, its secrets wiped; path gets the
 * copy's file name.  1 when the copy was begun (its file may exist). */
static int copy_done(struct delete_copy *kp, size_t cap, char path[64])
{
	int started = kp && kp->started;
	path[0] = '\0';
	if (kp) {
		memcpy(path, kp->path, sizeof(kp->path));
		if (kp->img)
			lm_protect_wipe(kp->img, cap);
		free(kp->img);
		lm_protect_wipe(kp, sizeof(*kp));
		free(kp);
	}
	return started;
}

/* The copy of a rewrite could not be kept: the card was not touched. */
static int no_copy(const char *path, int err)
{
	cli_msgf("delete_no_copy",
		 "could not keep a copy of the entries in %s (%s): the card was not touched", path,
		 cli_strerror(err));
	return EXIT_FAIL;
}

/* An entry id or a unique prefix of one: 8 to 64 hex digits, an even number. */
static int parse_entry_id(const char *hex, uint8_t id[32], size_t *len)
{
	size_t n = strlen(hex);
	if (n < 8 || n > 64 || n % 2 || lm_hex_decode(hex, id, n / 2)) {
		cli_msgf("bad_entry_id",
			 "%s is not an entry id: give its hex digits as card read --json shows "
			 "them (the first 8 or more, an even number)",
			 hex);
		return EXIT_USAGE;
	}
	*len = n / 2;
	return 0;
}

static int cmd_card_delete(int argc, char **argv)
{
	struct card_opts o;
	int first = parse_card_opts(argc, argv, &o);
	if (first != argc - 1)
		return cli_usage(argv[0]);
	uint8_t id[32];
	size_t id_len;
	int rc = parse_entry_id(argv[first], id, &id_len);
	if (rc)
		return rc;
	struct lm_transport *t;
	struct lm_card_info info;
	char canon[LM_CODE_LEN + 1] = "";
	uint8_t recovery[LM_RECOVERY_LEN];
	rc = connect_unlocked(&o, &t, &info, canon);
	if (rc)
		return rc;
	char idh[65];
	struct delete_copy *kp = calloc(1, sizeof(*kp));
	if (!kp) {
		lm_transport_close(t);
		return cli_fail("card delete", LM_ERR_NOMEM);
	}
	struct delete_copy k0 = {.img = calloc(1, info.capacity), .cap = info.capacity};
	*kp = k0;
	struct delete_copy k; /* only its path and started are read below */
	const char *path = kp->path;
	struct lm_rewrite_result res = {0};
	int err = kp->img ? LM_OK : LM_ERR_NOMEM;
	if (!err && info.protection != LM_PROT_NONE) {
		err = lm_transport_read_recovery(t, &info, recovery);
		kp->code = canon, kp->recovery = recovery;
		kp->iterations = info.header.iterations;
	}
	if (!err)
		err = lm_transport_delete_entry(t, &info, id, id_len, keep_in_file, kp, &res);
	lm_transport_close(t);
	lm_protect_wipe(canon, sizeof(canon));
	lm_protect_wipe(recovery, sizeof(recovery));
	if (kp->img)
		lm_protect_wipe(kp->img, info.capacity);
	free(kp->img);
	k.started = kp->started;
	memcpy(k.path, kp->path, sizeof(k.path));
	path = k.path;
	lm_protect_wipe(kp, sizeof(*kp));
	free(kp);
	lm_hex_encode(res.id, 32, idh);
	if (err == LM_ERR_NOT_FOUND) {
		cli_msgf("no_such_entry", "the card holds no entry whose id begins %s",
			 argv[first]);
		return EXIT_FAIL;
	}
	if (err == LM_ERR_AMBIGUOUS) {
		cli_msgf("ambiguous_entry",
			 "more than one entry's id begins %s: give more of its digits",
			 argv[first]);
		return EXIT_FAIL;
	}
	if (err && res.touched) {
		cli_msgf(
			"delete_cut",
			"the rewrite of the card was cut short (%s); nothing is lost: the entries "
			"that stay are in %s; put the card back and run: laufmappe card restore %s",
			cli_strerror(err), path, path);
		return EXIT_FAIL;
	}
	if (err && k.started && !res.touched)
		return no_copy(path, err);
	if (err)
		return card_fail("card delete", err);
	unlink(path);
	printf("%s\n", idh);
	cli_msgf("deleted", "deleted the entry %.12s from the %s card; %zu entries stay, read back",
		 idh, lm_card_kind_name(info.kind), res.kept);
	return 0;
}

/* The entries of an image file (a copy `card delete` kept, or any image)
 * onto the card, for the image's holder. */
static int cmd_card_restore(int argc, char **argv)
{
	struct card_opts o;
	int first = parse_card_opts(argc, argv, &o);
	if (first != argc - 1)
		return cli_usage(argv[0]);
	uint8_t *buf;
	size_t len, n = 0, off = 0, elen;
	if (cli_read_file(argv[first], LM_CARD_MAX, &buf, &len))
		return EXIT_FAIL;
	struct lm_card image;
	/* A protected copy (card delete and card protect keep one) opens with
	 * its code, and the card gets the folder protected with the same code
	 * and recovery secret. */
	char canon[LM_CODE_LEN + 1] = "";
	uint8_t recovery[LM_RECOVERY_LEN];
	int prot = lm_protect_is_v2(buf, len), err = LM_OK;
	if (prot) {
		int rc0 = cli_open_protected_code(buf, len, len, o.code_file, buf, &image, NULL,
						  recovery, canon);
		if (rc0) {
			free(buf);
			return rc0;
		}
	} else {
		err = lm_card_parse(buf, len, len, &image);
	}
	int count = err ? err : lm_card_count(&image);
	if (count < 0) {
		free(buf);
		return cli_fail(argv[first], count);
	}
	struct lm_card_entry *list = calloc((size_t)count + 1, sizeof(*list));
	const uint8_t *e;
	while (list && lm_card_next(&image, &off, &e, &elen) == LM_OK)
		list[n++] = (struct lm_card_entry){e, elen};
	struct lm_transport *t;
	struct lm_card_info info;
	int rc = list ? connect_card(&o, &t, &info) : cli_fail("card restore", LM_ERR_NOMEM);
	size_t written = 0;
	/* A blocked card is lost to everyone: it may be wiped as it is, and
	 * then takes the folder like a new card. */
	if (!rc && info.protection == LM_PROT_BLOCKED &&
	    ((err = lm_transport_wipe(t)) != LM_OK || (err = lm_transport_identify(t, &info)))) {
		lm_transport_close(t);
		rc = card_fail("card restore", err);
	}
	if (!rc) {
		err = prot ? lm_transport_restore_protected(t, &info, image.holder, canon, recovery,
							    list, n, &written)
			   : lm_transport_restore(t, &info, image.holder, list, n, &written);
		lm_transport_close(t);
		char hh[2 * LM_HOLDER_LEN + 1];
		lm_hex_encode(image.holder, LM_HOLDER_LEN, hh);
		if (err == LM_ERR_HOLDER)
			cli_msgf(
				"restore_other_holder",
				"the card on the reader belongs to another holder, not %s: nothing "
				"was written",
				hh);
		else if (err)
			rc = card_fail("card restore", err);
		else
			cli_msgf("restored",
				 "the %s card of holder %s holds the folder of %zu entries: %zu "
				 "written, read back",
				 lm_card_kind_name(info.kind), hh, n, written);
		if (err == LM_ERR_HOLDER)
			rc = EXIT_FAIL;
	}
	lm_protect_wipe(canon, sizeof(canon));
	lm_protect_wipe(recovery, sizeof(recovery));
	free(list);
	lm_protect_wipe(buf, len);
	free(buf);
	return rc;
}

/*
 * Protect a version 1 card with the holder present (lm_transport_protect):
 * a new access code and recovery secret; the copy of the folder is kept
 * first, protected with them, in laufmappe-HOLDER.img; a cut leaves the old
 * card, or one that `card restore --access-code-file` finishes from the
 * copy (the code is printed in both cases: the copy needs it).
 */
static int cmd_card_protect(int argc, char **argv)
{
	struct card_opts o;
	if (parse_card_opts(argc, argv, &o) != argc)
		return cli_usage(argv[0]);
	struct lm_transport *t;
	struct lm_card_info info;
	int rc = connect_card(&o, &t, &info);
	if (rc)
		return rc;
	if (info.protection != LM_PROT_NONE) {
		lm_transport_close(t);
		cli_msgf("already_protected", "the card is protected already: nothing was written");
		return EXIT_FAIL;
	}
	uint32_t iterations = (uint32_t)o.iterations;
	char code[LM_CODE_TEXT_LEN + 1] = "", canon[LM_CODE_LEN + 1] = "";
	uint8_t recovery[LM_RECOVERY_LEN];
	struct delete_copy *kp = calloc(1, sizeof(*kp));
	int err = kp && (kp->img = calloc(1, info.capacity)) ? LM_OK : LM_ERR_NOMEM;
	if (!err && !iterations)
		err = lm_protect_calibrate(100, &iterations);
	if (!err)
		err = lm_code_generate(code);
	if (!err)
		err = lm_code_parse(code, canon);
	if (!err)
		err = lm_random(recovery, sizeof(recovery));
	struct lm_rewrite_result res = {0};
	if (!err) {
		kp->cap = info.capacity;
		kp->code = canon, kp->recovery = recovery, kp->iterations = iterations;
		err = lm_transport_protect(t, &info, canon, recovery, iterations, keep_in_file, kp,
					   &res);
	}
	lm_transport_close(t);
	char path[64];
	int started = copy_done(kp, info.capacity, path);
	if (!err || res.touched)
		cli_print_code_once(code, res.holder, recovery, iterations);
	lm_protect_wipe(code, sizeof(code));
	lm_protect_wipe(canon, sizeof(canon));
	lm_protect_wipe(recovery, sizeof(recovery));
	if (err == LM_ERR_VERSION) {
		cli_msgf("already_protected", "the card is protected already: nothing was written");
		return EXIT_FAIL;
	}
	if (err && res.touched) {
		cli_msgf(
			"protect_cut",
			"protecting the card was cut short (%s); nothing is lost: the folder is in "
			"%s, protected with the access code above; put the card back and run: "
			"laufmappe card restore --access-code-file CODEFILE %s",
			cli_strerror(err), path, path);
		return EXIT_FAIL;
	}
	if (err && started)
		return no_copy(path, err);
	if (err)
		return card_fail("card protect", err);
	unlink(path);
	cli_msgf("protected", "protected the %s card: its %zu entries rewritten and read back",
		 lm_card_kind_name(info.kind), res.kept);
	return 0;
}

/*
 * A new access code for a protected card, the holder present
 * (lm_transport_change_code): the card unlocked with the old code
 * (--access-code-file or the terminal), a new code made here; the copy of
 * the folder is kept first, protected with the NEW code and the card's
 * recovery secret, in laufmappe-HOLDER.img.  A cut leaves the old card
 * (the old code opens it), or one that `card restore --access-code-file`
 * with the new code finishes from the copy: the new code is printed in
 * both cases, once.
 */
static int cmd_card_change_code(int argc, char **argv)
{
	struct card_opts o;
	if (parse_card_opts(argc, argv, &o) != argc)
		return cli_usage(argv[0]);
	struct lm_transport *t;
	struct lm_card_info info;
	int rc = connect_card(&o, &t, &info);
	if (!rc && info.protection == LM_PROT_NONE) {
		lm_transport_close(t);
		cli_msgf("not_protected",
			 "the card is not protected: protect it with laufmappe card "
			 "protect; nothing was written");
		return EXIT_FAIL;
	}
	if (!rc && (rc = cli_unlock_card(t, &info, o.code_file, NULL)) != 0)
		lm_transport_close(t);
	if (rc)
		return rc;
	uint32_t iterations = (uint32_t)o.iterations; /* 0: the card's count */
	char code[LM_CODE_TEXT_LEN + 1] = "", canon[LM_CODE_LEN + 1] = "";
	uint8_t recovery[LM_RECOVERY_LEN];
	struct delete_copy *kp = calloc(1, sizeof(*kp));
	int err = kp && (kp->img = calloc(1, info.capacity)) ? LM_OK : LM_ERR_NOMEM;
	if (!err)
		err = lm_transport_read_recovery(t, &info, recovery);
	if (!err)
		err = lm_code_generate(code);
	if (!err)
		err = lm_code_parse(code, canon);
	struct lm_rewrite_result res = {0};
	if (!err) {
		kp->cap = info.capacity;
		kp->code = canon, kp->recovery = recovery;
		kp->iterations = iterations ? iterations : info.header.iterations;
		err = lm_transport_change_code(t, &info, canon, iterations, keep_in_file, kp, &res);
	}
	lm_transport_close(t);
	char path[64];
	int started = copy_done(kp, info.capacity, path);
	if (!err || res.touched)
		cli_print_new_code_once(code);
	lm_protect_wipe(code, sizeof(code));
	lm_protect_wipe(canon, sizeof(canon));
	lm_protect_wipe(recovery, sizeof(recovery));
	if (err && res.touched) {
		cli_msgf(
			"change_code_cut",
			"changing the access code was cut short (%s); nothing is lost: the folder "
			"is in %s, protected with the new access code above; put the card back and "
			"run: laufmappe card restore --access-code-file NEWCODEFILE %s (if the old "
			"code still opens the card, it was not changed: change it again)",
			cli_strerror(err), path, path);
		return EXIT_FAIL;
	}
	if (err && started)
		return no_copy(path, err);
	if (err)
		return card_fail("card change-code", err);
	unlink(path);
	cli_msgf("code_changed",
		 "changed the access code of the %s card: its %zu entries rewritten and read back; "
		 "the old code opens it no more",
		 lm_card_kind_name(info.kind), res.kept);
	return 0;
}

#define READER_OPTS "[--reader NAME | --nfc CONNSTRING | --transport SPEC] [--wait SECONDS]"
#define CODE_OPT    "[--access-code-file CODEFILE]"

const struct cli_cmd cli_cmds_card[] = {
	{"card list-readers", cmd_card_list_readers, READER_OPTS " [--json]",
	 "List the readers (PC/SC: all that pcscd knows) and whether a card lies on each."},
	{"card read", cmd_card_read,
	 READER_OPTS " [--trust TRUST --root ROOT.pub] [--json] " CODE_OPT,
	 "Read the card; with a trust list, verify every entry (exit 0 only if all are valid). "
	 "A protected card wants its access code; without it, only that it is protected is shown."},
	{"card format", cmd_card_format,
	 "--holder ID|random [--kind applet|ntag213|ntag215|ntag216] [--force] [--protect "
	 "[--kdf-iterations N]] " READER_OPTS,
	 "Write an empty Laufmappe for a holder; prints the holder id. With --protect, format "
	 "version 2: prints the new access code and the holder's recovery line, once."},
	{"card append", cmd_card_append, READER_OPTS " " CODE_OPT " ENTRY",
	 "Append a signed entry: one commit, then read back and compared."},
	{"card wipe", cmd_card_wipe, "--yes " READER_OPTS " " CODE_OPT,
	 "Erase the Laufmappe and every entry on the card (a blocked card needs no code)."},
	{"card protect", cmd_card_protect, "[--kdf-iterations N] " READER_OPTS,
	 "Rewrite a version 1 card as a protected one (format version 2) with the holder "
	 "present: a copy of the folder is kept first (protected) in laufmappe-HOLDER.img; "
	 "prints the new access code and recovery line, once."},
	{"card change-code", cmd_card_change_code, "[--kdf-iterations N] " READER_OPTS " " CODE_OPT,
	 "Give a protected card a new access code with the holder present (the old code from "
	 "--access-code-file or the terminal): the card is rewritten under the new code, the "
	 "recovery line stays; a copy of the folder is kept first (protected with the new code) "
	 "in laufmappe-HOLDER.img; prints the new access code, once."},
	{"card delete", cmd_card_delete, READER_OPTS " " CODE_OPT " ID",
	 "Delete one entry (its id, or the first 8 or more hex digits of it) at the holder's "
	 "request: the card is rewritten without it and read back; a copy of the rest is kept "
	 "in laufmappe-HOLDER.img until then."},
	{"card restore", cmd_card_restore, READER_OPTS " " CODE_OPT " IMAGE",
	 "Put a folder (an image file) onto the card: a blank card is formatted for its holder; "
	 "only the entries the card lacks are added."},
	{NULL, NULL, NULL, NULL},
};
