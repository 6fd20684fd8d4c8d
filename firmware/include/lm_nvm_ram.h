/*
 * lm_nvm_ram.h - an lm_nvm over a caller's RAM array, with power-loss
 * injection, for unit tests, fuzzing and simulators (portable C99).
 *
 * Fault model (the one lm_nvm.h promises the applet): when fail_after >= 0,
 * the write after `fail_after` completed writes lands only its first
 * tear_bytes bytes (capped at its length) and fails; from then on the
 * memory is "without power": every read and write fails until
 * lm_nvm_ram_power_on().  Out-of-range accesses fail and are counted in
 * `bad` (the applet must never make one).
 */
#ifndef LM_NVM_RAM_H
#define LM_NVM_RAM_H

#include <stdint.h>

#include "lm_nvm.h"

struct lm_nvm_ram {
	struct lm_nvm nvm;    /* hand &r->nvm to lm_applet_init(); ctx = r */
	uint8_t *mem;         /* nvm.size bytes, owned by the caller */
	unsigned long writes; /* writes that landed completely */
	long fail_after;      /* completed writes before the torn one; -1 never */
	uint32_t tear_bytes;  /* bytes of the torn write that land */
	unsigned long bad;    /* out-of-range accesses seen */
	int dead;             /* 1 after the torn write, until power-on */
};

/* Wrap mem (size bytes) as an NVM without fault injection. */
void lm_nvm_ram_init(struct lm_nvm_ram *r, uint8_t *mem, uint32_t size);

/* Restore power: clears `dead` and disarms fault injection (fail_after = -1). */
void lm_nvm_ram_power_on(struct lm_nvm_ram *r);

#endif /* LM_NVM_RAM_H */
