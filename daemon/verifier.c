/*
 * verifier.c - a pool worker's verifier process (verifier.h).  Requests on
 * a SOCK_SEQPACKET pair, answered in order: the holder id followed by the
 * entry, answered by four 32-bit numbers.
 */
#include "verifier.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_key.h"

/* A check takes about a millisecond; a child silent this long is stuck. */
#define VERIFIER_TIMEOUT_MS 5000

struct answer {
	int32_t rc;	 /* what lm_trust_prepare / lm_trust_check returned */
	int32_t verdict; /* res.verdict */
	int32_t err;	 /* res.err */
	int32_t issuer;	 /* index in the list, -1: none */
};

/* The child: answer requests until the worker's end is closed. */
static void child_main(int fd, const struct lm_trust *t)
{
	uint8_t req[LM_HOLDER_LEN + LM_ENTRY_MAX];
	struct lm_verify_result res;
	/* One verification before the first request (a signature that does not
	 * verify, computed through): the pages it writes, shared with the
	 * daemon since the fork, are copied now and not in the first tap. */
	static const uint8_t hash[32], sig[LM_SIG_LEN] = {[31] = 1, [63] = 1};
	if (t->n)
		(void)lm_key_verify_hash(t->inst[0].key, hash, sig);
	for (;;) {
		ssize_t n = recv(fd, req, sizeof(req), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < LM_HOLDER_LEN)
			_exit(0); /* closed (or nonsense): done */
		struct answer a = {.issuer = -1};
		a.rc = lm_trust_prepare(req + LM_HOLDER_LEN, (size_t)n - LM_HOLDER_LEN, &res);
		if (!a.rc)
			a.rc = lm_trust_check(t, req, &res);
		a.verdict = (int32_t)res.verdict;
		a.err = res.err;
		if (res.issuer)
			a.issuer = (int32_t)(res.issuer - t->inst);
		if (send(fd, &a, sizeof(a), MSG_NOSIGNAL) != (ssize_t)sizeof(a))
			_exit(0);
	}
}

void verifier_init(struct verifier *v)
{
	memset(v, 0, sizeof(*v));
	v->fd = -1;
}

int verifier_start(struct verifier *v, const struct lm_trust *t)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return LM_ERR_IO;
	pid_t parent = getpid(), pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return LM_ERR_INTERNAL;
	}
	if (pid == 0) {
		/* Only its socket (and stdio) stay open: no card, cache or
		 * listening socket is held by a child.  It ends with the daemon. */
		if (sv[1] != 3 && dup2(sv[1], 3) != 3)
			_exit(1);
		close_range(4, ~0u, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Its memory is a copy of the daemon's (the token, the signing
		 * key): no core dump or ptrace of it, no privilege gained by exec. */
		prctl(PR_SET_DUMPABLE, 0);
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (getppid() != parent)
			_exit(0);
		child_main(3, t);
		_exit(0);
	}
	close(sv[1]);
	v->fd = sv[0];
	v->pid = pid;
	v->child++;
	memcpy(v->trust, t->hash, sizeof(v->trust));
	return LM_OK;
}

void verifier_stop(struct verifier *v)
{
	if (v->fd >= 0)
		close(v->fd);
	/* Killed, not asked to leave: a child stopped (SIGSTOP, a debugger, a
	 * cgroup freezer) never reads the closed end, and waiting for it held
	 * the worker, the tap and every trust reload for as long. */
	if (v->pid > 0)
		kill(v->pid, SIGKILL);
	if (v->pid > 0)
		while (waitpid(v->pid, NULL, 0) < 0 && errno == EINTR)
			;
	v->pid = 0;
	v->fd = -1;
	v->inflight = 0; /* v->child stays: a ticket names one child, ever */
}

/* A child that did not answer in time, or answered wrongly: killed. */
static int give_up(struct verifier *v)
{
	verifier_stop(v);
	return LM_ERR_INTERNAL;
}

int verifier_send(struct verifier *v, const struct lm_trust *t, const uint8_t holder[LM_HOLDER_LEN],
		  const uint8_t *bytes, size_t len, unsigned *ticket)
{
	if (len > LM_ENTRY_MAX)
		return LM_ERR_ARG;
	if (v->pid && memcmp(v->trust, t->hash, sizeof(v->trust)) != 0) {
		if (v->inflight)
			return LM_ERR_ARG; /* answers of the old list still to come */
		verifier_stop(v);	   /* forked under another list */
	}
	if (!v->pid) {
		int err = verifier_start(v, t);
		if (err)
			return err;
	}
	uint8_t req[LM_HOLDER_LEN + LM_ENTRY_MAX];
	memcpy(req, holder, LM_HOLDER_LEN);
	memcpy(req + LM_HOLDER_LEN, bytes, len);
	if (send(v->fd, req, LM_HOLDER_LEN + len, MSG_NOSIGNAL) != (ssize_t)(LM_HOLDER_LEN + len))
		return give_up(v);
	v->inflight++;
	*ticket = v->child;
	return LM_OK;
}

int verifier_recv(struct verifier *v, const struct lm_trust *t, unsigned ticket,
		  struct lm_verify_result *res, int *rc)
{
	if (!v->pid || !v->inflight || ticket != v->child)
		return LM_ERR_ARG; /* the child that owed it was given up */
	struct pollfd p = {.fd = v->fd, .events = POLLIN};
	int ready;
	while ((ready = poll(&p, 1, VERIFIER_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	struct answer a;
	if (ready != 1 || recv(v->fd, &a, sizeof(a), 0) != (ssize_t)sizeof(a))
		return give_up(v);
	v->inflight--;
	if (memcmp(v->trust, t->hash, sizeof(v->trust)) != 0 || a.issuer < -1 ||
	    a.issuer >= (int32_t)t->n || a.verdict < LM_VALID || a.verdict > LM_MALFORMED)
		return give_up(v);
	res->verdict = (enum lm_verdict)a.verdict;
	res->err = a.err;
	res->issuer = a.issuer >= 0 ? &t->inst[a.issuer] : NULL;
	*rc = a.rc;
	return LM_OK;
}
