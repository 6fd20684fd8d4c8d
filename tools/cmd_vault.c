/*
 * cmd_vault.c - `laufmappe vault ...` and `laufmappe trust publish`: the
 * city's side of the folder vault (docs/vault.md).  The offices' side is
 * the daemon's.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_trust.h"
#include "laufmappe/lm_util.h"
#include "laufmappe/lm_vault.h"

/* Parse "--password-file F" and, for init, "--retention-days N"; the rest
 * are positional.  Returns 0 or the usage status. */
static int vault_opts(int argc, char **argv, const char **password_file, int *days,
		      const char **login_file)
{
	static const struct option opts[] = {{"password-file", 1, 0, 'p'},
					     {"retention-days", 1, 0, 'd'},
					     {"login-password-file", 1, 0, 'l'},
					     {0, 0, 0, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'p')
			*password_file = optarg;
		else if (c == 'd' && days) {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n <= 0 || n > 36500)
				return cli_usage(argv[0]);
			*days = (int)n;
		} else if (c == 'l' && login_file)
			*login_file = optarg;
		else
			return cli_usage(argv[0]);
	}
	return 0;
}

static int cmd_vault_init(int argc, char **argv)
{
	const char *pw = NULL;
	int days = 180, rc = vault_opts(argc, argv, &pw, &days, NULL);
	if (rc)
		return rc;
	if (optind != argc - 1)
		return cli_usage(argv[0]);
	int err = lm_vault_init(argv[optind], pw, days);
	if (err)
		return cli_fail("vault init", err);
	cli_msgf("vault_ready", "the vault is ready (records kept %d days after their last push)",
		 days);
	return 0;
}

static int add_login(int argc, char **argv, int city)
{
	const char *pw = NULL, *login = NULL;
	int rc = vault_opts(argc, argv, &pw, NULL, &login);
	if (rc)
		return rc;
	if (optind != argc - 2 || !login)
		return cli_usage(argv[0]);
	int err = lm_vault_add_login(argv[optind], pw, argv[optind + 1], city, login);
	if (err)
		return cli_fail(argv[optind + 1], err);
	cli_msgf(city ? "vault_city_added" : "vault_office_added",
		 city ? "%s may now publish trust lists" : "%s may now use the vault as an office",
		 argv[optind + 1]);
	return 0;
}

static int cmd_vault_add_office(int argc, char **argv)
{
	return add_login(argc, argv, 0);
}

static int cmd_vault_add_city(int argc, char **argv)
{
	return add_login(argc, argv, 1);
}

/*
 * The list goes to the vault only after it verified here against the root
 * key the offices pin: the vault itself cannot check signatures, and an
 * office would refuse a bad list anyway, but then only after fetching it.
 */
static int cmd_trust_publish(int argc, char **argv)
{
	const char *root = NULL, *vault = NULL, *pw = NULL;
	static const struct option opts[] = {{"root", 1, 0, 'r'},
					     {"vault", 1, 0, 'v'},
					     {"password-file", 1, 0, 'p'},
					     {0, 0, 0, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			root = optarg;
		else if (c == 'v')
			vault = optarg;
		else if (c == 'p')
			pw = optarg;
		else
			return cli_usage(argv[0]);
	}
	if (!root || !vault || optind != argc - 1)
		return cli_usage(argv[0]);
	const char *path = argv[optind];
	struct lm_key *k = NULL;
	struct lm_trust *t = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int err = lm_key_load_public(root, &k);
	if (err) {
		cli_fail(root, err);
		goto out;
	}
	if ((err = cli_read_file(path, LM_TRUST_MAX, &buf, &len)))
		goto out;
	t = lm_trust_new();
	err = t ? lm_trust_load(t, buf, len, k, 0) : LM_ERR_NOMEM;
	if (err) {
		cli_fail(path, err);
		goto out;
	}
	struct lm_vault *v;
	err = lm_vault_connect(vault, pw, 10, &v);
	if (err) {
		cli_fail("vault", err);
		goto out;
	}
	err = lm_vault_trust_publish(v, buf, len, t->version);
	lm_vault_close(v);
	if (err)
		cli_fail(path, err);
	else
		cli_msgf("trust_published", "trust list version %u is in the vault", t->version);
out:
	free(buf);
	lm_trust_free(t);
	lm_key_free(k);
	return err ? EXIT_FAIL : 0;
}

const struct cli_cmd cli_cmds_vault[] = {
	{"vault init", cmd_vault_init, "CONNINFO [--retention-days N] [--password-file F]",
	 "Create or update the folder vault's schema, its roles lm_vault_office and "
	 "lm_vault_city and their grants, as the database's superuser (default 180 days)."},
	{"vault add-office", cmd_vault_add_office,
	 "CONNINFO NAME --login-password-file F [--password-file F]",
	 "Add an office's login role NAME (or set its password) as a member of lm_vault_office."},
	{"vault add-city", cmd_vault_add_city,
	 "CONNINFO NAME --login-password-file F [--password-file F]",
	 "Add the city's login role NAME (or set its password): it may publish trust lists."},
	{"trust publish", cmd_trust_publish,
	 "TRUST --root ROOT.pub --vault CONNINFO [--password-file F]",
	 "Check a trust list against the root public key and put it in the folder vault; the "
	 "vault refuses an older version or another list with the same version."},
	{NULL, NULL, NULL, NULL},
};
