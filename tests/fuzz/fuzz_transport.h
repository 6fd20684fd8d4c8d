/*
 * fuzz_transport.h - one tap through the transports' card code with the
 * card's answers supplied by the caller: the fuzz input (fuzz_transport.c)
 * or a card model whose answers are recorded as seeds (record_transport.c).
 */
#ifndef FUZZ_TRANSPORT_H
#define FUZZ_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

/*
 * The card's answer to cmd[0..len) (native: an NTAG command; else an APDU,
 * the answer ending in SW1 SW2): *ans points to it, its length is returned;
 * or a negative lm_err (the exchange failed).
 */
typedef int (*fuzz_card_fn)(void *ctx, int native, const uint8_t *cmd, size_t len,
			    const uint8_t **ans);

/*
 * One tap on the card reached by path (0 applet, 1 NTAG through PC/SC part 3,
 * 2 NTAG through libnfc): identify, read, append entry (formatted card) or
 * format (blank card), read again, wipe if asked.  Aborts when a check fails.
 * Returns the error of identify, the first read, or the append / format.
 */
int fuzz_transport_tap(int path, int wipe, const uint8_t *entry, size_t elen, fuzz_card_fn card,
		       void *ctx);
/* Reads so far that took the remembered prefix (delta reads): the recorder
 * checks that its applet seeds reach that path. */
extern unsigned fuzz_transport_delta_reads;

#endif /* FUZZ_TRANSPORT_H */
