/*
 * verifier.h - a pool worker's verifier process: the signature check of an
 * entry (lm_trust_check) in a child process of the daemon, forked with the
 * trust list the worker checks under.
 *
 * Why a process and not the worker thread itself: on the 2-core terminals
 * we measured, two threads of one process verifying ECDSA signatures each
 * ran about 12 % slower than the same work in two processes (also with no
 * data shared, in a twenty-line program; bench/bench_cores.sh prints both),
 * which kept a cold tap's verification from scaling with the cores.  The
 * split is for speed, not isolation: a child's memory is a copy of the
 * daemon's (its token and signing key too).  It closes every descriptor
 * but its socket right after the fork, cannot be dumped or traced, gains
 * no privilege by exec, and never touches the cache, the card or the
 * network.
 *
 * The worker thread sends the holder id and the entry's bytes, the child
 * answers the verdict and the issuer's index in its copy of the list; the
 * worker sends the next entry before it waits for an answer, so the child
 * always has work while the worker prepares and looks up.  A
 * child forked under another trust list (told by the list's hash) is
 * replaced before it is asked; a child that died, or answered nonsense, is
 * replaced at the next request, and the worker checks that entry itself.
 */
#ifndef LM_DAEMON_VERIFIER_H
#define LM_DAEMON_VERIFIER_H

#include <stdint.h>
#include <sys/types.h>

#include "laufmappe/lm_trust.h"

struct verifier {
	pid_t pid;	   /* 0: none running */
	int fd;		   /* the worker's end of the socket pair */
	uint8_t trust[32]; /* hash of the list the child was forked with */
	unsigned inflight; /* requests sent, answers not yet taken */
	unsigned child;	   /* children forked so far: the ticket of a request */
};

/* A verifier with no child yet (one is forked at the first check). */
void verifier_init(struct verifier *v);
/* Fork the child with t (the caller holds the trust read lock), ahead of
 * the first check: LM_ERR_IO, LM_ERR_INTERNAL. */
int verifier_start(struct verifier *v, const struct lm_trust *t);
/*
 * Ask the child to check one entry (holder, bytes) as lm_trust_check does
 * under t (the caller holds the trust read lock until the answer is in).
 * Requests queue at the child: send the next before taking this one's
 * answer, and it never waits for the worker.  Not LM_OK: the child cannot
 * take it (none could be forked; one forked under another list still owes
 * answers): check it in line.  *ticket names the child that owes the
 * answer, for verifier_recv.
 */
int verifier_send(struct verifier *v, const struct lm_trust *t, const uint8_t holder[LM_HOLDER_LEN],
		  const uint8_t *bytes, size_t len, unsigned *ticket);
/*
 * The oldest request's answer (ticket: what its send gave): res (prepared
 * by the caller from the same bytes) gets the verdict, the error behind it
 * and the issuer (an institution of t), *rc what lm_trust_check returned.
 * Not LM_OK: the child that owed it is gone, did not answer in time or
 * answered nonsense (it is killed; every request it still owes fails the
 * same way, and the next send forks anew); res is unchanged: check it in
 * line.
 */
int verifier_recv(struct verifier *v, const struct lm_trust *t, unsigned ticket,
		  struct lm_verify_result *res, int *rc);
/* End the child (its socket closed, the child killed and waited for). */
void verifier_stop(struct verifier *v);

#endif
