/*
 * cmd_qr.c - the paper backup: read the text of the QR codes on the print
 * view back into entries, verify them, and restore them into a card image.
 *
 * A QR code carries one or more signed entries of one holder as the text of
 * lm_qrtext.h; lines that a QR reader adds around it ("QR-Code:" from
 * zbarimg) are skipped up to "LM1:".  Entries already in the image are not
 * restored twice.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_json.h"
#include "laufmappe/lm_qrtext.h"
#include "laufmappe/lm_util.h"

/* Does the card already hold exactly these entry bytes? */
static int card_holds(const struct lm_card *card, const uint8_t *entry, size_t len)
{
	size_t off = 0, elen;
	const uint8_t *e;
	while (lm_card_next(card, &off, &e, &elen) == LM_OK)
		if (elen == len && !memcmp(e, entry, len))
			return 1;
	return 0;
}

/* What one import run has: the trust list, the output, the image to restore into. */
struct qr_import {
	struct lm_trust *trust;
	json_object *arr; /* --json: the verified entries */
	struct lm_verify_result r;
	uint8_t *img; /* --image, else NULL */
	size_t ilen;
	struct lm_card card;
	size_t n, valid, restored;
};

/* Verify entry number q->n, print it, restore it when valid.  0 or EXIT_FAIL. */
static int import_one(struct qr_import *q, const uint8_t holder[LM_HOLDER_LEN],
		      const uint8_t *entry, size_t len)
{
	struct lm_verify_result *r = &q->r;
	int verr = lm_trust_verify(q->trust, holder, entry, len, r);
	if (verr)
		return cli_fail("verify", verr); /* could not be checked: not a verdict */
	q->valid += r->verdict == LM_VALID;
	if (q->arr) {
		json_object *o = lm_json_verified(r);
		char hh[2 * LM_HOLDER_LEN + 1];
		lm_hex_encode(holder, LM_HOLDER_LEN, hh);
		json_object_object_add(o, "holder", json_object_new_string(hh));
		json_object_array_add(q->arr, o);
	} else {
		printf("%3zu  %-16s %s\n", q->n, lm_verdict_name(r->verdict),
		       r->verdict == LM_VALID ? lm_type_by_code(r->entry.type)->name
					      : cli_verdict_text(r->verdict));
	}
	if (!q->img || r->verdict != LM_VALID)
		return 0;
	/* Restore: only valid entries of this card's holder, each once. */
	if (memcmp(holder, q->card.holder, LM_HOLDER_LEN) != 0) {
		fprintf(stderr, "laufmappe: QR text %zu is for another holder: not restored\n",
			q->n);
		return 0;
	}
	if (card_holds(&q->card, entry, len))
		return 0;
	struct lm_card_plan plan;
	int err = lm_card_plan_append(&q->card, entry, len, &plan);
	if (!err)
		err = lm_card_apply(q->img, q->ilen, &plan);
	if (!err)
		err = lm_card_parse(q->img, q->ilen, q->ilen, &q->card);
	if (err) {
		fprintf(stderr, "laufmappe: restoring QR text %zu: %s\n", q->n, cli_strerror(err));
		return EXIT_FAIL;
	}
	q->restored++;
	return 0;
}

static int cmd_qr_import(int argc, char **argv)
{
	const char *trust = NULL, *root = NULL, *image = NULL;
	int json = 0;
	static const struct option opts[] = {{"trust", 1, 0, 't'},
					     {"root", 1, 0, 'r'},
					     {"image", 1, 0, 'i'},
					     {"json", 0, 0, 'j'},
					     {0, 0, 0, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 't')
			trust = optarg;
		else if (c == 'r')
			root = optarg;
		else if (c == 'i')
			image = optarg;
		else if (c == 'j')
			json = 1;
		else
			return cli_usage(argv[0]);
	}
	if (!trust || !root || optind < argc - 1)
		return cli_usage(argv[0]);
	FILE *in = optind == argc || !strcmp(argv[optind], "-") ? stdin : fopen(argv[optind], "r");
	if (!in)
		return cli_fail(argv[optind], LM_ERR_NOT_FOUND);
	struct qr_import *q = calloc(1, sizeof(*q));
	if (!q || cli_load_trust(trust, root, 0, &q->trust)) {
		free(q);
		if (in != stdin)
			fclose(in);
		return EXIT_FAIL;
	}
	int rc = 0, err = LM_OK;
	if (image && (cli_read_file(image, LM_CARD_MAX, &q->img, &q->ilen) ||
		      (err = lm_card_parse(q->img, q->ilen, q->ilen, &q->card)) != LM_OK)) {
		if (q->img)
			fprintf(stderr, "laufmappe: %s: %s\n", image, cli_strerror(err));
		rc = EXIT_FAIL;
	}
	json_object *arr = json_object_new_array();
	q->arr = json ? arr : NULL;
	char line[8192]; /* a dense code holds about 2,300 characters */
	while (!rc && fgets(line, sizeof(line), in)) {
		uint8_t entry[LM_ENTRY_MAX];
		struct lm_qrtext text;
		size_t len;
		int k = lm_qrtext_parse(line, strlen(line), &text);
		while (k > 0 && !rc &&
		       (k = lm_qrtext_next(&text, entry, sizeof(entry), &len)) > 0) {
			q->n++;
			rc = import_one(q, text.holder, entry, len);
		}
		if (k < 0) {
			fprintf(stderr, "laufmappe: the QR text after entry %zu is damaged\n",
				q->n);
			rc = EXIT_NO;
		}
	}
	if (image && !rc && (err = lm_file_write(image, q->img, q->ilen, 0644)) != LM_OK)
		rc = cli_fail(image, err);
	if (json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "entries", arr);
		json_object_object_add(o, "valid", json_object_new_int64((int64_t)q->valid));
		json_object_object_add(o, "restored", json_object_new_int64((int64_t)q->restored));
		cli_print_json(o);
		json_object_put(o);
	} else {
		json_object_put(arr);
		printf("%zu of %zu entries valid\n", q->valid, q->n);
		if (image)
			printf("%zu entries restored into %s\n", q->restored, image);
	}
	if (!rc && (q->n == 0 || q->valid != q->n))
		rc = EXIT_NO;
	if (q->n == 0)
		fprintf(stderr, "laufmappe: no Laufmappe QR text found (lines with \"%s\")\n",
			LM_QRTEXT_PREFIX);
	free(q->img);
	lm_trust_free(q->trust);
	free(q);
	if (in != stdin)
		fclose(in);
	return rc;
}

const struct cli_cmd cli_cmds_qr[] = {
	{"qr import", cmd_qr_import,
	 "--trust TRUST --root ROOT.pub [--image IMAGE] [--json] [FILE|-]",
	 "Read QR text from the printed backup (LM1:HOLDER:BASE64URL[.BASE64URL...] per line, e.g. "
	 "from "
	 "`zbarimg --raw`), verify each entry, and with --image restore the valid ones into a "
	 "card image."},
	{NULL, NULL, NULL, NULL},
};
