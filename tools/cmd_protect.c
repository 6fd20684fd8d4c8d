/*
 * cmd_protect.c - protected card images (format version 2, lm_protect.h)
 * on the command line: making one, and getting the access code to read
 * one.  The code never comes from the command line (it would show in ps):
 * from --access-code-file FILE, or asked on the terminal without echo.
 * A wrong code is a failure (exit 3: the card could not be read), not a
 * "no" about its entries.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_protect.h"
#include "laufmappe/lm_transport.h"
#include "laufmappe/lm_util.h"

#define CODE_TRIES 3 /* on the terminal: typos and wrong codes, then give up */

/* Ask on the terminal, echo off; buf gets the line without its newline. */
static int ask_code(char *buf, size_t cap)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return LM_ERR_NOT_FOUND;
	struct termios old, quiet;
	int tty = tcgetattr(fd, &old) == 0;
	if (tty) {
		quiet = old;
		quiet.c_lflag &= (tcflag_t)~ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	const char *prompt =
		cli_tr("cli.msg", "code_prompt", "access code (on the card's sticker): ");
	(void)!write(fd, prompt, strlen(prompt));
	size_t n = 0;
	char ch;
	ssize_t r;
	while ((r = read(fd, &ch, 1)) == 1 && ch != '\n')
		if (n + 1 < cap)
			buf[n++] = ch;
	buf[n] = '\0';
	if (tty)
		tcsetattr(fd, TCSAFLUSH, &old);
	close(fd);
	return r < 0 ? LM_ERR_IO : LM_OK;
}

/* The first line of FILE. */
static int read_code_file(const char *path, char *buf, size_t cap)
{
	uint8_t *b;
	size_t len;
	int err = lm_file_read(path, 256, &b, &len);
	if (err)
		return err;
	size_t n = 0;
	while (n < len && b[n] != '\n' && b[n] != '\r' && n + 1 < cap) {
		buf[n] = (char)b[n];
		n++;
	}
	buf[n] = '\0';
	lm_protect_wipe(b, len);
	free(b);
	return LM_OK;
}

/* Say why a code did not open the card, in the user's language. */
static void code_trouble(int err)
{
	if (err == LM_ERR_CODE_TYPO)
		cli_msgf("code_typo", "the access code is mistyped: its last character does not "
				      "match the others; check each character against the sticker");
	else if (err == LM_ERR_BAD_VALUE)
		cli_msgf("code_form", "an access code has 12 letters and digits, like "
				      "7K3Q-9WX2-HM4K");
	else if (err == LM_ERR_WRONG_CODE)
		cli_msgf("wrong_code", "this access code does not open this card: use the code "
				       "on its sticker or on the holder's copy");
}

int cli_open_protected(const uint8_t *img, size_t len, size_t capacity, const char *code_file,
		       uint8_t *plain, struct lm_card *c, struct lm_protect_keys *keys)
{
	return cli_open_protected_code(img, len, capacity, code_file, plain, c, keys, NULL, NULL);
}

int cli_open_protected_code(const uint8_t *img, size_t len, size_t capacity, const char *code_file,
			    uint8_t *plain, struct lm_card *c, struct lm_protect_keys *keys,
			    uint8_t recovery[LM_RECOVERY_LEN], char canon[LM_CODE_LEN + 1])
{
	struct lm_protect_header h;
	int err = lm_protect_header_parse(img, len, &h);
	if (err)
		return cli_fail("protected card image", err);
	char code[128];
	int tries = code_file ? 1 : CODE_TRIES;
	for (int i = 0; i < tries; i++) {
		err = code_file ? read_code_file(code_file, code, sizeof(code))
				: ask_code(code, sizeof(code));
		if (err == LM_ERR_NOT_FOUND && !code_file) {
			cli_msgf("code_no_tty",
				 "this card image is protected: give "
				 "--access-code-file FILE (there is no terminal to ask on)");
			return EXIT_USAGE;
		}
		if (err)
			return cli_fail(code_file ? code_file : "/dev/tty", err);
		err = lm_code_parse(code, canon);
		if (!err)
			err = lm_protect_open_code(img, len, capacity, code, plain, c, recovery,
						   keys);
		lm_protect_wipe(code, sizeof(code));
		if (!err)
			return 0;
		if (err != LM_ERR_CODE_TYPO && err != LM_ERR_BAD_VALUE && err != LM_ERR_WRONG_CODE)
			return cli_fail("protected card image", err);
		code_trouble(err);
	}
	return EXIT_FAIL;
}

int cli_image_new_protected(const uint8_t holder[LM_HOLDER_LEN], size_t capacity,
			    uint32_t iterations, const char *out)
{
	int err = LM_OK;
	if (iterations == 0)
		err = lm_protect_calibrate(100, &iterations);
	if (err)
		return cli_fail("image new", err);
	char code[LM_CODE_TEXT_LEN + 1];
	err = lm_code_generate(code);
	if (err)
		return cli_fail("image new", err);
	uint8_t *img = calloc(1, capacity);
	struct lm_protect_plan *plan = malloc(sizeof(*plan));
	uint8_t secret[LM_RECOVERY_LEN];
	if (!img || !plan)
		err = LM_ERR_NOMEM;
	if (!err)
		err = lm_protect_plan_format(capacity, holder, code, NULL, iterations, plan, NULL,
					     secret);
	if (!err)
		err = lm_card_apply(img, capacity, &plan->card);
	if (!err)
		err = lm_file_write(out, img, capacity, 0644);
	if (plan)
		lm_protect_wipe(plan, sizeof(*plan));
	free(plan);
	free(img);
	if (err) {
		lm_protect_wipe(code, sizeof(code));
		return cli_fail(out, err);
	}
	cli_print_code_once(code, holder, secret, iterations);
	lm_protect_wipe(code, sizeof(code));
	lm_protect_wipe(secret, sizeof(secret));
	return 0;
}

/* Say that the card is blocked and what helps, in the user's language:
 * an applet can be wiped and take the folder again; an NTAG past AUTHLIM
 * refuses every write of its protected pages for good. */
static void card_blocked(enum lm_card_kind kind)
{
	if (kind >= LM_KIND_NTAG213 && kind <= LM_KIND_NTAG216) {
		cli_msgf("tag_blocked",
			 "the tag is blocked after too many wrong access codes: nobody can read "
			 "or write it any more, for good; restore the folder onto a new card from "
			 "the office's copy (card restore)");
		return;
	}
	cli_msgf("card_blocked",
		 "the card is blocked after too many wrong access codes: nobody can read it "
		 "any more; wipe it (card wipe --yes) and restore the folder onto it from the "
		 "office's copy (card restore)");
}

int cli_unlock_card(struct lm_transport *t, struct lm_card_info *info, const char *code_file,
		    char canon[LM_CODE_LEN + 1])
{
	if (info->protection == LM_PROT_NONE)
		return 0;
	if (info->protection == LM_PROT_BLOCKED) {
		card_blocked(info->kind);
		return EXIT_FAIL;
	}
	char code[128];
	int tries = code_file ? 1 : CODE_TRIES, err = LM_OK;
	for (int i = 0; i < tries; i++) {
		err = code_file ? read_code_file(code_file, code, sizeof(code))
				: ask_code(code, sizeof(code));
		if (err == LM_ERR_NOT_FOUND && !code_file) {
			cli_msgf("card_code_no_tty",
				 "the card is protected: nothing on it is read without its access "
				 "code; give --access-code-file FILE (there is no terminal to ask "
				 "on)");
			return EXIT_USAGE;
		}
		if (err)
			return cli_fail(code_file ? code_file : "/dev/tty", err);
		int left = -1, before = info->tries_left;
		err = lm_code_parse(code, canon);
		/* A typo costs no try: lm_transport_unlock_code checks the key
		 * check before the card sees anything. */
		if (!err)
			err = lm_transport_unlock_code(t, info, code, &left);
		lm_protect_wipe(code, sizeof(code));
		if (!err)
			return 0;
		if (canon)
			lm_protect_wipe(canon, LM_CODE_LEN + 1);
		if (err == LM_ERR_BLOCKED) {
			card_blocked(info->kind);
			return EXIT_FAIL;
		}
		/* Tries are told only when the card counted one: a code that fails
		 * the key check never reached it (and cost nothing). */
		if (err == LM_ERR_WRONG_CODE && left >= 0 && (before < 0 || left < before))
			cli_msgf("wrong_code_tries",
				 "this access code does not open this card: %d tries left before "
				 "the card blocks",
				 left);
		else if (err == LM_ERR_CODE_TYPO || err == LM_ERR_BAD_VALUE ||
			 err == LM_ERR_WRONG_CODE)
			code_trouble(err);
		else
			return cli_fail("card", err);
	}
	return EXIT_FAIL;
}

int cli_new_code(char code[LM_CODE_TEXT_LEN + 1])
{
	int err = lm_code_generate(code);
	return err ? cli_fail("access code", err) : 0;
}

void cli_print_code_once(const char *code, const uint8_t holder[LM_HOLDER_LEN],
			 const uint8_t secret[LM_RECOVERY_LEN], uint32_t iterations)
{
	char line[LM_RECOVERY_TEXT_LEN + 1];
	lm_protect_recovery_text(holder, secret, line);
	printf("access code: %s\nrecovery: %s\n", code, line);
	fflush(stdout);
	cli_msgf("code_once",
		 "write the access code on the card's sticker and give the holder the "
		 "recovery line with it: neither is shown again (%u key derivation rounds)",
		 iterations);
	lm_protect_wipe(line, sizeof(line));
}

void cli_print_new_code_once(const char *code)
{
	printf("access code: %s\n", code);
	fflush(stdout);
	cli_msgf("new_code_once",
		 "write the new access code on the card's sticker and on the holder's copy: it is "
		 "not shown again; the holder's recovery line stays as it was");
}
