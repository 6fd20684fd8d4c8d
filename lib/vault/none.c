/*
 * none.c - the vault's client in a build without libpq: every call says
 * LM_ERR_UNSUPPORTED, so callers (the CLI, the daemon) need no #ifdef and
 * the library exports the same symbols either way.
 */
#include "laufmappe/lm_vault.h"

#include "laufmappe/lm_err.h"

int lm_vault_connect(const char *conninfo, const char *password_file, int timeout_s,
		     struct lm_vault **out)
{
	if (out)
		*out = NULL;
	return LM_ERR_UNSUPPORTED;
}

void lm_vault_close(struct lm_vault *v)
{
}

int lm_vault_push(struct lm_vault *v, const uint8_t tag[LM_VAULT_TAG_LEN],
		  const uint8_t ref[LM_VAULT_REF_LEN], const uint8_t *sealed, size_t len)
{
	return LM_ERR_UNSUPPORTED;
}

int lm_vault_fetch(struct lm_vault *v, const uint8_t tag[LM_VAULT_TAG_LEN], lm_vault_record_fn fn,
		   void *ctx)
{
	return LM_ERR_UNSUPPORTED;
}

int lm_vault_tombstone(struct lm_vault *v, const uint8_t tag[LM_VAULT_TAG_LEN],
		       const uint8_t ref[LM_VAULT_REF_LEN])
{
	return LM_ERR_UNSUPPORTED;
}

int lm_vault_tombstones(struct lm_vault *v, const uint8_t (*tags)[LM_VAULT_TAG_LEN], size_t n,
			int64_t since, int64_t *next, lm_vault_tombstone_fn fn, void *ctx)
{
	return LM_ERR_UNSUPPORTED;
}

int lm_vault_trust_publish(struct lm_vault *v, const uint8_t *trust, size_t len, uint32_t version)
{
	return LM_ERR_UNSUPPORTED;
}

int lm_vault_trust_latest(struct lm_vault *v, uint32_t above, uint8_t **trust, size_t *len,
			  uint32_t *version)
{
	return LM_ERR_UNSUPPORTED;
}

int lm_vault_init(const char *conninfo, const char *password_file, int retention_days)
{
	return LM_ERR_UNSUPPORTED;
}

int lm_vault_expire(struct lm_vault *v, int64_t *removed)
{
	return LM_ERR_UNSUPPORTED;
}

int lm_vault_add_login(const char *conninfo, const char *password_file, const char *name, int city,
		       const char *login_password_file)
{
	return LM_ERR_UNSUPPORTED;
}
