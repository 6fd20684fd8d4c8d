/*
 * lm_nvm.h - the non-volatile memory HAL the card applet runs on.
 *
 * A board hands the applet one struct lm_nvm: a flat array of `size` bytes
 * with a read and a write function.  Offsets and lengths are in bytes; the
 * applet never asks for a range outside [0, size).
 *
 * The write model the applet's tear safety is argued against (docs/applet.md):
 *   - a write that returns 0 has landed completely and stays landed;
 *   - a write that returns < 0 (power lost) may have landed any PREFIX of its
 *     bytes (none, some, all but the last) and nothing else; the bytes after
 *     that prefix keep their old values;
 *   - after a failed write the applet issues no further write until the next
 *     lm_applet_init() (a real board would be without power anyway).
 * A single-byte write is therefore atomic.  Reads have no side effects.
 *
 * Dependency-free: only <stdint.h>.
 */
#ifndef LM_NVM_H
#define LM_NVM_H

#include <stdint.h>

struct lm_nvm {
	void *ctx;     /* passed unchanged to read and write; owned by the board */
	uint32_t size; /* bytes of memory, journal included */
	/* Copy len bytes at off into buf.  0 ok, < 0 failure. */
	int (*read)(void *ctx, uint32_t off, uint8_t *buf, uint32_t len);
	/* Store len bytes of buf at off.  0 ok, < 0 failure (power lost). */
	int (*write)(void *ctx, uint32_t off, const uint8_t *buf, uint32_t len);
};

#endif /* LM_NVM_H */
