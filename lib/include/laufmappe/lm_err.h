/*
 * lm_err.h - the one error space of liblaufmappe.
 *
 * Every function that can fail returns an enum lm_err: 0 is success, and
 * failures are negative, in bands per layer.  Codes are never renumbered:
 * they appear in logs, JSON output and test expectations.  Foreign error
 * codes (PC/SC, libnfc, mbed TLS, SQLite) are translated in exactly one
 * function at each boundary, and a lower-level failure is passed up
 * unchanged (an out-of-memory never turns into "bad signature").
 */
#ifndef LM_ERR_H
#define LM_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

enum lm_err {
	LM_OK = 0,

	/* -100: arguments and internal */
	LM_ERR_ARG = -100,	   /* a caller passed an invalid argument */
	LM_ERR_NOMEM = -101,	   /* an allocation failed */
	LM_ERR_BUFFER = -102,	   /* a caller's output buffer is too small */
	LM_ERR_INTERNAL = -103,	   /* a bug: an invariant did not hold */
	LM_ERR_IO = -104,	   /* a file could not be read or written */
	LM_ERR_NOT_FOUND = -105,   /* a named thing (file, reader, holder) does not exist */
	LM_ERR_UNSUPPORTED = -106, /* valid, but not something this build can do */
	LM_ERR_AMBIGUOUS = -107,   /* a short name (an id prefix) names more than one thing */

	/* -200: data formats (entries, trust list, card image) */
	LM_ERR_MALFORMED = -200,     /* not well-formed CBOR/COSE or our structure */
	LM_ERR_NONCANONICAL = -201,  /* well-formed, but not deterministically encoded */
	LM_ERR_TRAILING = -202,	     /* bytes after the end of the item */
	LM_ERR_TOO_LONG = -203,	     /* longer than the format allows */
	LM_ERR_UNKNOWN_FIELD = -204, /* a field this version does not know */
	LM_ERR_BAD_VALUE = -205,     /* a field's value is out of its range */
	LM_ERR_MISSING_FIELD = -206, /* a required field is absent */
	LM_ERR_VERSION = -207,	     /* a format version this build does not read */
	LM_ERR_ROLLBACK = -208,	     /* a trust list older than the accepted one */
	LM_ERR_CARD_FULL = -209,     /* the card has no room for this entry */
	LM_ERR_NOT_FORMATTED = -210, /* the card holds no Laufmappe image */
	LM_ERR_HOLDER = -211,	     /* the entry belongs to another holder */
	LM_ERR_TRUST_SWAPPED = -212, /* another trust list with the accepted one's version */
	LM_ERR_CODE_TYPO = -213,     /* an access code whose check character does not match */

	/* -300: crypto */
	LM_ERR_CRYPTO = -300,	     /* the crypto library failed (not a verdict) */
	LM_ERR_BAD_SIGNATURE = -301, /* a signature did not verify */
	LM_ERR_KEY = -302,	     /* a key could not be parsed or is not P-256 */
	LM_ERR_RNG = -303,	     /* the random generator failed */
	LM_ERR_WRONG_CODE = -304,    /* the access code does not open this card */
	LM_ERR_SEALED = -305, /* a vault record does not open with this key (or was altered) */

	/* -400: transport (readers and cards) */
	LM_ERR_NO_SERVICE = -400,    /* pcscd is not running / no libnfc */
	LM_ERR_SERVICE_GONE = -401,  /* the service went away during a call */
	LM_ERR_NO_READER = -402,     /* no reader (or none by that name) */
	LM_ERR_READER_GONE = -403,   /* the reader was unplugged */
	LM_ERR_NO_CARD = -404,	     /* no card on the reader */
	LM_ERR_CARD_REMOVED = -405,  /* the card left the field during a call */
	LM_ERR_CARD_RESET = -406,    /* the card was reset by someone else */
	LM_ERR_READER_BUSY = -407,   /* another program or driver holds the reader */
	LM_ERR_TIMEOUT = -408,	     /* nothing happened in the time allowed */
	LM_ERR_UNKNOWN_CARD = -409,  /* a card, but not one we can talk to */
	LM_ERR_CARD_STATUS = -410,   /* the card answered with an error status word */
	LM_ERR_WRITE_REFUSED = -411, /* the card refused a write (locked, password) */
	LM_ERR_READBACK = -412,	     /* the card reads back different from what was written */
	LM_ERR_TRANSPORT = -413,     /* a protocol error between us and the reader */
	LM_ERR_BLOCKED = -414,	     /* a protected card refuses every code (no tries left) */
	LM_ERR_LOCKED = -415,	     /* a protected card: unlock it with its access code first */

	/* -500: cache (SQLite) */
	LM_ERR_DB = -500,	  /* the database failed */
	LM_ERR_DB_BUSY = -501,	  /* the database is locked by another process */
	LM_ERR_DB_FULL = -502,	  /* the disk holding the database is full */
	LM_ERR_DB_CORRUPT = -503, /* the database file is damaged */
	LM_ERR_DB_SCHEMA = -504,  /* a schema newer than this build */

	/* -600: the folder vault (PostgreSQL) */
	LM_ERR_VAULT_DOWN =
		-600, /* the vault cannot be reached (down, slow, refused the connection) */
	LM_ERR_VAULT_DENIED = -601, /* the vault refused: the office's role may not do this */
	LM_ERR_VAULT_SCHEMA = -602, /* the vault's schema is not the one this build speaks */
};

/*
 * lm_strerror - a short English sentence for an error code.  Never NULL;
 * unknown codes give "unknown error".  The text is for logs and the CLI; user
 * interfaces translate by code.
 */
const char *lm_strerror(int err);

/* lm_errname - the code's stable identifier ("card_removed"), for JSON. */
const char *lm_errname(int err);

#ifdef __cplusplus
}
#endif

#endif /* LM_ERR_H */
