/*
 * cli.h - shared pieces of the `laufmappe` command line.
 *
 * Every command returns an exit status: 0 only on success, 1 when the
 * command ran but the answer is "no" (an entry did not verify), 2 for usage
 * errors, 3 for other failures.  Messages go to stderr, data to stdout.
 */
#ifndef LM_CLI_H
#define LM_CLI_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "laufmappe/lm_card.h"
#include "laufmappe/lm_key.h"
#include "laufmappe/lm_trust.h"

#define EXIT_NO	   1
#define EXIT_USAGE 2
#define EXIT_FAIL  3

struct cli_cmd {
	const char *name; /* "key generate" */
	int (*run)(int argc, char **argv);
	const char *usage; /* one line of arguments */
	const char *help;  /* a sentence */
};

/*
 * Messages for people, in the user's language (LANGUAGE / LC_MESSAGES) from
 * the gettext catalogs in po/: the catalog keys are "cli.verdict.NAME" and
 * "cli.err.NAME"; without a translation the English text is kept.  JSON
 * output stays English (it is for programs).
 */
const char *cli_verdict_text(enum lm_verdict v);
/* English text in the user's language: the catalog entry with context
 * "GROUP.NAME" and msgid ENGLISH, else ENGLISH itself. */
const char *cli_tr(const char *group, const char *name, const char *english);
/* "laufmappe: " and the catalog message "cli.msg.NAME" (a printf format
 * whose English source is ENGLISH) on stderr, with a newline. */
void cli_msgf(const char *name, const char *english, ...) __attribute__((format(printf, 2, 3)));
/* Warn on stderr that the trust list is stale (1) or past its grace (2). */
void cli_warn_staleness(const struct lm_trust *t, int stale);
const char *cli_strerror(int err);

/* Print "laufmappe: what: reason" to stderr; returns EXIT_FAIL. */
int cli_fail(const char *what, int err);
/* Print a usage line for the named command to stderr; returns EXIT_USAGE. */
int cli_usage(const char *name);
/* 1 when argv has --help or -h: prints the command's help to stdout. */
int cli_wants_help(int argc, char **argv, const char *name);

int cli_read_file(const char *path, size_t max, uint8_t **buf, size_t *len);
int cli_parse_holder(const char *hex, uint8_t holder[LM_HOLDER_LEN]);
/* A comma-separated list of type names ("IK,DTZ") as a bit set. */
int cli_parse_types(const char *list, uint32_t *types);
void cli_print_json(json_object *o);

/*
 * Load a trust list checked against the pinned root public key.  Prints why
 * on failure.  The returned trust list is the caller's (lm_trust_free).
 */
int cli_load_trust(const char *trust_path, const char *root_pub, uint32_t min_version,
		   struct lm_trust **out);

/*
 * Verify and print every entry of a card image (or one entry): the shared
 * output of `verify` and `card read`.  Returns the exit status: 0 only when
 * every entry is valid and the log is intact.
 */
int cli_report_image(const struct lm_trust *t, const uint8_t *img, size_t len, size_t capacity,
		     int json, uint64_t grace);

/* The same for a card already parsed or opened (version 1 or 2). */
int cli_report_card(const struct lm_trust *t, const struct lm_card *card, int json, uint64_t grace);

/*
 * Protected images (tools/cmd_protect.c).  cli_open_protected gets the
 * access code from code_file (NULL: asks on the terminal, without echo, up
 * to three times), opens the image into plain (len bytes) and *c; keys (may
 * be NULL) keeps the keys for an append.  Prints why on failure and returns
 * the exit status (0 opened, 3 wrong code or damage, 2 no way to ask).
 */
struct lm_protect_keys;
int cli_open_protected(const uint8_t *img, size_t len, size_t capacity, const char *code_file,
		       uint8_t *plain, struct lm_card *c, struct lm_protect_keys *keys);
/* The same; recovery and canon (may be NULL) get the recovery secret and
 * the canonical code (for a restore onto a card). */
int cli_open_protected_code(const uint8_t *img, size_t len, size_t capacity, const char *code_file,
			    uint8_t *plain, struct lm_card *c, struct lm_protect_keys *keys,
			    uint8_t recovery[16], char canon[13]);
/* Write a new protected image file; prints the access code and recovery line once. */
int cli_image_new_protected(const uint8_t holder[LM_HOLDER_LEN], size_t capacity,
			    uint32_t iterations, const char *out);

/*
 * A protected card on the reader (info from lm_transport_identify): get its
 * access code from code_file (NULL: asked on the terminal, without echo, up
 * to three times; a typo costs no try) and unlock this session.  canon (may
 * be NULL) gets the canonical code, for a rewrite.  0 when unlocked or not
 * protected; else prints why (wrong code with the tries left, blocked, no
 * terminal) and returns the exit status.
 */
struct lm_transport;
struct lm_card_info;
int cli_unlock_card(struct lm_transport *t, struct lm_card_info *info, const char *code_file,
		    char canon[13]);
/* A new access code (lm_code_generate), or prints why and returns 3. */
int cli_new_code(char code[15]);
/* Print "access code: ..." and "recovery: LMR1:..." on stdout, once. */
void cli_print_code_once(const char *code, const uint8_t holder[LM_HOLDER_LEN],
			 const uint8_t secret[16], uint32_t iterations);
/* A changed card's new access code, once ("access code: XXXX-XXXX-XXXX"): no
 * recovery line, it stays as it was. */
void cli_print_new_code_once(const char *code);

extern const struct cli_cmd cli_cmds_core[];
extern const struct cli_cmd cli_cmds_card[];
extern const struct cli_cmd cli_cmds_qr[];
extern const struct cli_cmd cli_cmds_vault[];

#endif /* LM_CLI_H */
