/*
 * vpool.h - verification behind the radio: a small pool of worker threads,
 * one per core the daemon may run on (or verify_threads), that check a
 * tap's entries while the rest of the card is still being read.
 *
 * A reader thread opens a tap (vpool_tap_new) once it knows the holder,
 * submits each entry as soon as its bytes are complete (vpool_submit: the
 * bytes must stay where they are until vpool_tap_free), and takes the
 * results in order (vpool_result waits for one).  A worker prepares the
 * entry (hash, decode), looks its verdict up in the verdict cache through
 * its own SQLite connection, and has its verifier process (verifier.h)
 * check the signature and the trust list's rules when the cache does not
 * know it, sending the next entry before it takes the answer.  It stores
 * nothing: the reader thread stores entries and fresh verdicts in its one
 * transaction (desk_tap_view), so a failure to compute is still never
 * cached.
 */
#ifndef LM_DAEMON_VPOOL_H
#define LM_DAEMON_VPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "desk.h"

struct vpool;
struct vpool_tap;

/* What a worker found for one entry. */
struct vpool_job {
	const uint8_t *bytes; /* the entry, in the caller's image */
	size_t len;
	struct desk_check chk; /* prepared and checked (chk.err: could not be) */
	int fresh;	       /* 1: computed now (store the verdict); 0: from the cache */
	uint64_t trust_gen;    /* the list it was checked under (desk.trust_gen) */
	unsigned ticket;       /* its request to the verifier process */
	int done;	       /* set under the pool's lock; read atomically */
	int waited;	       /* a reader thread waits for it (the lock too) */
	struct vpool_tap *tap;
	struct vpool_job *next; /* the queue */
};

/*
 * Start `threads` workers (0: one per core this process may run on).  Each
 * opens the daemon's database for verdict lookups (no lookups when that
 * fails) and forks its verifier process (checks in line when that fails).
 * LM_ERR_NOMEM, LM_ERR_INTERNAL.
 */
int vpool_start(struct desk *d, unsigned threads, struct vpool **out);
/* Stop and join the workers (after every tap was freed). */
void vpool_stop(struct vpool *p);
unsigned vpool_threads(const struct vpool *p);

/* A tap of holder's card that will submit at most max entries; NULL on NOMEM. */
struct vpool_tap *vpool_tap_new(struct vpool *p, const uint8_t holder[LM_HOLDER_LEN], size_t max);
/* Queue one entry; LM_ERR_CARD_FULL when max were submitted (check it in line). */
int vpool_submit(struct vpool_tap *tap, const uint8_t *bytes, size_t len);
/* Entries submitted so far. */
size_t vpool_submitted(const struct vpool_tap *tap);
/* The i-th submitted entry's result, once a worker has it (waits). */
const struct vpool_job *vpool_result(struct vpool_tap *tap, size_t i);
/*
 * The last byte is in and the reader thread is about to walk the log: if
 * the tap's last entry is not checked yet, give the CPU up once, so that
 * a worker just woken on this CPU sends it to its verifier before the walk
 * takes the CPU (the scheduler tends to wake a thread where its waker
 * runs; the check then waited for the walk: a returning card's tap ended
 * about 1 ms later).  NULL is fine.
 */
void vpool_handoff(struct vpool_tap *tap);
/* Wait for every submitted entry, then free the tap.  NULL is fine. */
void vpool_tap_free(struct vpool_tap *tap);

#endif
