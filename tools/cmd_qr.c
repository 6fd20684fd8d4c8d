/*
 * cmd_qr.c - the paper backup: read the text of the QR codes on the print
 * view back into entries, verify them, and restore them into a card image.
 *
 * One QR code carries one signed entry as text:
 *   "LM1:" HOLDER ":" BASE64URL
 * HOLDER is the 32 hex digits of the holder id, BASE64URL the entry's card
 * bytes (RFC 4648 §5, no padding).  Lines that a QR reader adds around it
 * ("QR-Code:" from zbarimg) are skipped up to "LM1:".
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
#include "laufmappe/lm_util.h"

#define QR_PREFIX "LM1:"

/* Decode base64url without padding; returns the length or -1. */
static long b64url_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int v = c >= 'A' && c <= 'Z'   ? c - 'A'
			: c >= 'a' && c <= 'z' ? c - 'a' + 26
			: c >= '0' && c <= '9' ? c - '0' + 52
			: c == '-'	       ? 62
			: c == '_'	       ? 63
					       : -1;
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (len == cap)
				return -1;
			out[len++] = (uint8_t)(acc >> bits);
		}
	}
	if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0)
		return -1; /* a dangling character or non-zero padding bits */
	return (long)len;
}

/* Parse one line of QR text; 1 = an entry, 0 = not ours, <0 = damaged. */
static int parse_line(const char *line, uint8_t holder[LM_HOLDER_LEN], uint8_t *entry, size_t *len)
{
	const char *p = strstr(line, QR_PREFIX);
	if (!p)
		return 0;
	p += strlen(QR_PREFIX);
	char hex[2 * LM_HOLDER_LEN + 1];
	if (strlen(p) < sizeof(hex) || p[2 * LM_HOLDER_LEN] != ':')
		return LM_ERR_MALFORMED;
	memcpy(hex, p, 2 * LM_HOLDER_LEN);
	hex[2 * LM_HOLDER_LEN] = 0;
	if (lm_hex_decode(hex, holder, LM_HOLDER_LEN))
		return LM_ERR_MALFORMED;
	p += 2 * LM_HOLDER_LEN + 1;
	size_t n = strcspn(p, " \t\r\n");
	long l = b64url_decode(p, n, entry, LM_ENTRY_MAX);
	if (l <= 0)
		return LM_ERR_MALFORMED;
	*len = (size_t)l;
	return 1;
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
	struct lm_trust *t;
	if (cli_load_trust(trust, root, 0, &t)) {
		if (in != stdin)
			fclose(in);
		return EXIT_FAIL;
	}
	uint8_t *img = NULL;
	size_t ilen = 0;
	struct lm_card card;
	int rc = 0, err = LM_OK;
	if (image && (cli_read_file(image, LM_CARD_MAX, &img, &ilen) ||
		      (err = lm_card_parse(img, ilen, ilen, &card)) != LM_OK)) {
		if (img)
			fprintf(stderr, "laufmappe: %s: %s\n", image, cli_strerror(err));
		rc = EXIT_FAIL;
	}
	struct lm_verify_result *r = malloc(sizeof(*r));
	json_object *arr = json_object_new_array();
	char line[4096];
	size_t n = 0, valid = 0, restored = 0;
	while (!rc && r && fgets(line, sizeof(line), in)) {
		uint8_t holder[LM_HOLDER_LEN], entry[LM_ENTRY_MAX];
		size_t len;
		int k = parse_line(line, holder, entry, &len);
		if (k == 0)
			continue;
		n++;
		if (k < 0) {
			fprintf(stderr, "laufmappe: QR text %zu is damaged\n", n);
			rc = EXIT_NO;
			continue;
		}
		lm_trust_verify(t, holder, entry, len, r);
		valid += r->verdict == LM_VALID;
		if (json) {
			json_object *o = lm_json_verified(r);
			char hh[2 * LM_HOLDER_LEN + 1];
			lm_hex_encode(holder, LM_HOLDER_LEN, hh);
			json_object_object_add(o, "holder", json_object_new_string(hh));
			json_object_array_add(arr, o);
		} else {
			printf("%3zu  %-16s %s\n", n, lm_verdict_name(r->verdict),
			       r->verdict == LM_VALID ? lm_type_by_code(r->entry.type)->name
						      : cli_verdict_text(r->verdict));
		}
		if (!img || r->verdict != LM_VALID)
			continue;
		/* Restore: only valid entries of this card's holder, each once. */
		struct lm_card_plan plan;
		if (memcmp(holder, card.holder, LM_HOLDER_LEN) != 0) {
			fprintf(stderr,
				"laufmappe: QR text %zu is for another holder: not restored\n", n);
			continue;
		}
		err = lm_card_plan_append(&card, entry, len, &plan);
		if (!err)
			err = lm_card_apply(img, ilen, &plan);
		if (!err)
			err = lm_card_parse(img, ilen, ilen, &card);
		if (err) {
			fprintf(stderr, "laufmappe: restoring QR text %zu: %s\n", n,
				cli_strerror(err));
			rc = EXIT_FAIL;
		} else {
			restored++;
		}
	}
	if (image && !rc && (err = lm_file_write(image, img, ilen, 0644)) != LM_OK)
		rc = cli_fail(image, err);
	if (json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "entries", arr);
		json_object_object_add(o, "valid", json_object_new_int64((int64_t)valid));
		json_object_object_add(o, "restored", json_object_new_int64((int64_t)restored));
		cli_print_json(o);
		json_object_put(o);
	} else {
		json_object_put(arr);
		printf("%zu of %zu entries valid\n", valid, n);
		if (image)
			printf("%zu entries restored into %s\n", restored, image);
	}
	if (!rc && (n == 0 || valid != n))
		rc = EXIT_NO;
	if (n == 0)
		fprintf(stderr, "laufmappe: no Laufmappe QR text found (lines with \"%s\")\n",
			QR_PREFIX);
	free(r);
	free(img);
	lm_trust_free(t);
	if (in != stdin)
		fclose(in);
	return rc;
}

const struct cli_cmd cli_cmds_qr[] = {
	{"qr import", cmd_qr_import,
	 "--trust TRUST --root ROOT.pub [--image IMAGE] [--json] [FILE|-]",
	 "Read QR text from the printed backup (LM1:HOLDER:BASE64URL per line, e.g. from "
	 "`zbarimg --raw`), verify each entry, and with --image restore the valid ones into a "
	 "card image."},
	{NULL, NULL, NULL, NULL},
};
