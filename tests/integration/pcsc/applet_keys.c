/*
 * applet_keys.c - test helper: the VERIFY value of a protected card, from
 * the card's 24 public header bytes and its access code, the way a desk
 * computes it (the applet never derives anything).
 *
 *   applet_keys PUBLIC-HEX CODE-FILE
 *
 * PUBLIC-HEX: the 24 public bytes as READ BINARY 00 B0 00 00 18 returns
 * them (48 hex digits); CODE-FILE: the access code on its first line.
 * Derives the keys (lm_protect_derive: one PBKDF2 run), checks them against
 * the header's key check (lm_protect_check: a desk must do this before it
 * sends VERIFY, so a forged header never burns a try) and prints
 * keys.applet as 32 upper-case hex digits.  Exit 0; 2 usage; 3 wrong code
 * (the key check failed); 1 any other error, with lm_strerror on stderr.
 *
 * lm_protect_header_parse wants 28 bytes, the commit word included, but the
 * applet keeps the commit word behind VERIFY (docs/applet.md): the helper
 * hands it the public bytes with an empty commit word (00 00 FF FF), which
 * is enough for the salt, the count and the key check.
 */
#include <stdio.h>
#include <string.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_protect.h"

/* Decode exactly n bytes of hex; 0 or -1. */
static int unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t hdr[LM_PROTECT_HOLDER_OFF] = {0};
	struct lm_protect_header h;
	struct lm_protect_keys k;
	char code[64];
	FILE *f;
	int err;
	size_t i;

	if (argc != 3 || unhex(argv[1], hdr, LM_PROTECT_PUBLIC_LEN) != 0) {
		fputs("usage: applet_keys PUBLIC-HEX(24 bytes) CODE-FILE\n", stderr);
		return 2;
	}
	hdr[LM_PROTECT_COMMIT_OFF + 2] = 0xFF; /* an empty log: 0000 FFFF */
	hdr[LM_PROTECT_COMMIT_OFF + 3] = 0xFF;
	f = fopen(argv[2], "r");
	if (f == NULL || fgets(code, sizeof(code), f) == NULL) {
		perror(argv[2]);
		return 1;
	}
	fclose(f);
	code[strcspn(code, "\r\n")] = '\0';
	err = lm_protect_header_parse(hdr, sizeof(hdr), &h);
	if (!err)
		err = lm_protect_derive(code, h.salt, h.iterations, &k);
	lm_protect_wipe(code, sizeof(code));
	if (!err)
		err = lm_protect_check(&h, &k);
	if (err) {
		fprintf(stderr, "applet_keys: %s\n", lm_strerror(err));
		lm_protect_keys_wipe(&k);
		return err == LM_ERR_WRONG_CODE ? 3 : 1;
	}
	for (i = 0; i < sizeof(k.applet); i++)
		printf("%02X", k.applet[i]);
	putchar('\n');
	lm_protect_keys_wipe(&k);
	return 0;
}
