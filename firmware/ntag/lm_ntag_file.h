/*
 * lm_ntag_file.h: keep an lm_ntag's pages in a file (hosted builds only: POSIX).
 *
 * The memory file is the raw pages, npages * 4 bytes, then, once the tag
 * has counted a wrong PWD_AUTH or an NFC read, the 4-byte hidden state
 * record (lm_ntag.h: wrong-PWD_AUTH count, NFC counter LSB first), which
 * the hook writes as page npages. A file of npages * 4 bytes has the state
 * 00 00 00 00, so an unprotected tag's file keeps its old size. A missing
 * file is created from a factory-fresh tag with the given UID, or with
 * lm_ntag_default_uid. Every page (and state) write the model accepts is
 * written through to the file with one pwrite of 4 bytes before it lands in
 * memory, and a tear counter can cut the power after N such writes.
 */
#ifndef LM_NTAG_FILE_H
#define LM_NTAG_FILE_H

#include "lm_ntag.h"

/* The UID a fresh memory file gets when none is given: 04 4C 4D 53 49 4D 01. */
extern const uint8_t lm_ntag_default_uid[7];

enum lm_ntag_file_err {
    LM_NTAG_FILE_OK = 0,
    LM_NTAG_FILE_EIO = -1,   /* open, read or write failed (see errno) */
    LM_NTAG_FILE_ESIZE = -2, /* the file's size is not npages * 4 (+ 4) of the kind */
    LM_NTAG_FILE_EUID = -3   /* a UID was given and the file holds another one */
};

struct lm_ntag_file {
    int fd;              /* the open memory file, -1 when closed */
    long tear_after;     /* cut power at the write after this many, -1 = never */
    unsigned long writes; /* page writes that landed since open */
};

/*
 * Open `path` as the memory of tag t of the given kind (creating it when
 * missing), load it into t and install the write-through hook. uid may be
 * NULL. tear_after < 0 disables tearing. Returns LM_NTAG_FILE_OK or an error;
 * on error f->fd is -1.
 */
int lm_ntag_file_open(struct lm_ntag_file *f, struct lm_ntag *t, enum lm_ntag_kind kind,
                      const char *path, const uint8_t *uid, long tear_after);

/* Close the file (safe on a closed one). */
void lm_ntag_file_close(struct lm_ntag_file *f);

/* A short English message for an lm_ntag_file_err. */
const char *lm_ntag_file_strerror(int err);

#endif /* LM_NTAG_FILE_H */
