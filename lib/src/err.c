/*
 * err.c - error names and sentences (generated once from lm_err.h; keep
 * both in step: a test checks every code has a name).
 */
#include "laufmappe/lm_err.h"

#include <stddef.h>

struct err_text {
	int code;
	const char *name;
	const char *text;
};

static const struct err_text texts[] = {
	{LM_OK, "ok", "success"},
	{LM_ERR_ARG, "arg", "a caller passed an invalid argument"},
	{LM_ERR_NOMEM, "nomem", "an allocation failed"},
	{LM_ERR_BUFFER, "buffer", "a caller's output buffer is too small"},
	{LM_ERR_INTERNAL, "internal", "a bug: an invariant did not hold"},
	{LM_ERR_IO, "io", "a file could not be read or written"},
	{LM_ERR_NOT_FOUND, "not_found", "a named thing (file, reader, holder) does not exist"},
	{LM_ERR_UNSUPPORTED, "unsupported", "valid, but not something this build can do"},
	{LM_ERR_AMBIGUOUS, "ambiguous", "a short name (an id prefix) names more than one thing"},
	{LM_ERR_MALFORMED, "malformed", "not well-formed CBOR/COSE or our structure"},
	{LM_ERR_NONCANONICAL, "noncanonical", "well-formed, but not deterministically encoded"},
	{LM_ERR_TRAILING, "trailing", "bytes after the end of the item"},
	{LM_ERR_TOO_LONG, "too_long", "longer than the format allows"},
	{LM_ERR_UNKNOWN_FIELD, "unknown_field", "a field this version does not know"},
	{LM_ERR_BAD_VALUE, "bad_value", "a field's value is out of its range"},
	{LM_ERR_MISSING_FIELD, "missing_field", "a required field is absent"},
	{LM_ERR_VERSION, "version", "a format version this build does not read"},
	{LM_ERR_ROLLBACK, "rollback", "a trust list older than the accepted one"},
	{LM_ERR_CARD_FULL, "card_full", "the card has no room for this entry"},
	{LM_ERR_NOT_FORMATTED, "not_formatted", "the card holds no Laufmappe image"},
	{LM_ERR_HOLDER, "holder", "the entry belongs to another holder"},
	{LM_ERR_TRUST_SWAPPED, "trust_swapped",
	 "a different trust list with the same version as the accepted one"},
	{LM_ERR_CODE_TYPO, "code_typo",
	 "the access code is mistyped: its check character does not match"},
	{LM_ERR_CRYPTO, "crypto", "the crypto library failed (not a verdict)"},
	{LM_ERR_BAD_SIGNATURE, "bad_signature", "a signature did not verify"},
	{LM_ERR_KEY, "key", "a key could not be parsed or is not P-256"},
	{LM_ERR_RNG, "rng", "the random generator failed"},
	{LM_ERR_WRONG_CODE, "wrong_code", "the access code does not open this card"},
	{LM_ERR_SEALED, "sealed", "a vault record does not open with this key, or was altered"},
	{LM_ERR_NO_SERVICE, "no_service", "pcscd is not running / no libnfc"},
	{LM_ERR_SERVICE_GONE, "service_gone", "the service went away during a call"},
	{LM_ERR_NO_READER, "no_reader", "no reader (or none by that name)"},
	{LM_ERR_READER_GONE, "reader_gone", "the reader was unplugged"},
	{LM_ERR_NO_CARD, "no_card", "no card on the reader"},
	{LM_ERR_CARD_REMOVED, "card_removed", "the card left the field during a call"},
	{LM_ERR_CARD_RESET, "card_reset", "the card was reset by someone else"},
	{LM_ERR_READER_BUSY, "reader_busy", "another program or driver holds the reader"},
	{LM_ERR_TIMEOUT, "timeout", "nothing happened in the time allowed"},
	{LM_ERR_UNKNOWN_CARD, "unknown_card", "a card, but not one we can talk to"},
	{LM_ERR_CARD_STATUS, "card_status", "the card answered with an error status word"},
	{LM_ERR_WRITE_REFUSED, "write_refused", "the card refused a write (locked, password)"},
	{LM_ERR_READBACK, "readback", "the card reads back different from what was written"},
	{LM_ERR_TRANSPORT, "transport", "a protocol error between us and the reader"},
	{LM_ERR_BLOCKED, "blocked", "the card is blocked after too many wrong access codes"},
	{LM_ERR_LOCKED, "locked", "the card is protected: unlock it with its access code first"},
	{LM_ERR_DB, "db", "the database failed"},
	{LM_ERR_DB_BUSY, "db_busy", "the database is locked by another process"},
	{LM_ERR_DB_FULL, "db_full", "the disk holding the database is full"},
	{LM_ERR_DB_CORRUPT, "db_corrupt", "the database file is damaged"},
	{LM_ERR_DB_SCHEMA, "db_schema", "a schema newer than this build"},
	{LM_ERR_VAULT_DOWN, "vault_down", "the folder vault cannot be reached"},
	{LM_ERR_VAULT_DENIED, "vault_denied",
	 "the folder vault refused: this office's role may not do that"},
	{LM_ERR_VAULT_SCHEMA, "vault_schema",
	 "the folder vault's schema is not the one this build speaks"},
};

const char *lm_strerror(int err)
{
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i].code == err)
			return texts[i].text;
	return "unknown error";
}

const char *lm_errname(int err)
{
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i].code == err)
			return texts[i].name;
	return "unknown";
}
