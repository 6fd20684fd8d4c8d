/*
 * lm_nvm_file.h - an lm_nvm kept in a file, for hosted boards (POSIX).
 *
 * The file IS the memory: byte i of the NVM is byte i of the file, and every
 * write is a pwrite of all its bytes before the call returns, so the card
 * survives a restart or a crash of the program.  Power-loss injection: when
 * tear_after >= 0, the write after tear_after completed writes lands only its
 * first half (a prefix, as lm_nvm.h allows), `torn` is set and every later
 * read and write fails until the caller clears `torn` (power back on).
 */
#ifndef LM_NVM_FILE_H
#define LM_NVM_FILE_H

#include <stdint.h>

#include "lm_nvm.h"

struct lm_nvm_file {
	struct lm_nvm nvm;    /* hand &f->nvm to lm_applet_init(); ctx = f */
	int fd;               /* the open memory file, -1 when closed */
	long tear_after;      /* completed writes before the torn one; -1 never */
	unsigned long writes; /* writes that landed completely since open */
	int torn;             /* 1 after the torn write: the power is off */
};

/*
 * Open `path` as an NVM (O_RDWR, created when missing).  A missing or empty
 * file is extended to new_size zero bytes; an existing one keeps its size,
 * which must lie in [min_size, max_size].  Disarms tearing (tear_after = -1;
 * set it after opening).  Returns 0, or -1 with errno set
 * (EINVAL for a size out of range); on failure f->fd is -1.
 */
int lm_nvm_file_open(struct lm_nvm_file *f, const char *path, uint32_t new_size,
		     uint32_t min_size, uint32_t max_size);

/* Close the file (safe on a closed one). */
void lm_nvm_file_close(struct lm_nvm_file *f);

#endif /* LM_NVM_FILE_H */
