/*
 * vpool.c - the verification pool (vpool.h).  One lock and two condition
 * variables for the whole pool: work arrives (workers wait) and work is
 * done (reader threads wait); a tap's jobs live in one array it owns.
 * Each worker has its verifier process (verifier.h) for the signatures.
 */
#include "vpool.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "laufmappe/lm_err.h"
#include "log.h"
#include "verifier.h"

#define VPOOL_NICE 5

struct vpool {
	struct desk *d;
	pthread_mutex_t lock;
	pthread_cond_t work; /* a job was queued, or stop */
	pthread_cond_t done; /* a job finished */
	struct vpool_job *head, *tail;
	int stop;
	unsigned n;
	pthread_t th[];
};

struct vpool_tap {
	struct vpool *p;
	uint8_t holder[LM_HOLDER_LEN];
	size_t n, max;
	struct vpool_job jobs[];
};

/* A job's check in the worker thread itself (no verifier process). */
static void check_in_line(struct desk *d, struct vpool_job *j)
{
	desk_check_done(&j->chk, lm_trust_check(d->trust, j->tap->holder, &j->chk.res));
}

/*
 * A job's first half, the trust read lock held: prepared, then the verdict
 * cache's answer, or the check sent to the verifier process (*sent), or
 * made here when the child cannot take it.
 */
static void begin_job(struct vpool *p, struct lm_cache *cache, struct verifier *v,
		      struct vpool_job *j, int *sent)
{
	struct desk *d = p->d;
	*sent = 0;
	j->chk.err = lm_trust_prepare(j->bytes, j->len, &j->chk.res);
	j->fresh = 0;
	j->trust_gen = d->trust_gen;
	if (desk_verdict_cached(d, cache, j->tap->holder, &j->chk))
		return;
	j->fresh = 1;
	/* Twice: a child found dead on the first send is replaced by the second. */
	if (verifier_send(v, d->trust, j->tap->holder, j->bytes, j->len, &j->ticket) == LM_OK ||
	    (!v->inflight &&
	     verifier_send(v, d->trust, j->tap->holder, j->bytes, j->len, &j->ticket) == LM_OK))
		*sent = 1;
	else
		check_in_line(d, j);
}

/* The second half: the child's answer (or the check here if none came). */
static void end_job(struct vpool *p, struct verifier *v, struct vpool_job *j)
{
	int rc;
	if (verifier_recv(v, p->d->trust, j->ticket, &j->chk.res, &rc) == LM_OK) {
		desk_check_done(&j->chk, rc);
	} else {
		log_msg(LOG_WARN, "the verifier process did not answer: checked in the daemon");
		check_in_line(p->d, j);
	}
}

static struct vpool_job *pop(struct vpool *p)
{
	struct vpool_job *j = p->head;
	if (j) {
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
	}
	return j;
}

static void *worker(void *arg)
{
	struct vpool *p = arg;
	struct desk *d = p->d;
	struct lm_cache *cache = NULL;
	struct verifier v;
	verifier_init(&v);
	/* Behind the radio: the card's I/O (reader thread, pcscd, a reader's
	 * driver) goes first when the cores are busy; a Linux thread has its
	 * own nice value, and its verifier process inherits it. */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), VPOOL_NICE);
	if (lm_cache_open(d->cfg.database, &cache) != LM_OK)
		cache = NULL; /* no lookups: every entry is checked */
	/* Forked now, not in the first tap. */
	pthread_rwlock_rdlock(&d->trust_lock);
	if (d->trust && verifier_start(&v, d->trust) != LM_OK)
		log_msg(LOG_WARN, "no verifier process: entries are checked in the daemon");
	pthread_rwlock_unlock(&d->trust_lock);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->head && !p->stop)
			pthread_cond_wait(&p->work, &p->lock);
		struct vpool_job *j = pop(p);
		if (!j)
			break;
		pthread_mutex_unlock(&p->lock);
		/* The jobs that keep coming, under one hold of the trust read
		 * lock: the next entry's request waits at the child while it
		 * checks this one. */
		pthread_rwlock_rdlock(&d->trust_lock);
		int sent, next_sent = 0;
		begin_job(p, cache, &v, j, &sent);
		while (j) {
			pthread_mutex_lock(&p->lock);
			struct vpool_job *n = pop(p);
			pthread_mutex_unlock(&p->lock);
			if (n)
				begin_job(p, cache, &v, n, &next_sent);
			if (sent)
				end_job(p, &v, j);
			pthread_mutex_lock(&p->lock);
			__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
			/* Only the job a reader thread waits for wakes it (the
			 * others it finds done when it gets to them). */
			if (j->waited)
				pthread_cond_broadcast(&p->done);
			pthread_mutex_unlock(&p->lock);
			j = n;
			sent = next_sent;
		}
		pthread_rwlock_unlock(&d->trust_lock);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	verifier_stop(&v);
	lm_cache_close(cache);
	return NULL;
}

int vpool_start(struct desk *d, unsigned threads, struct vpool **out)
{
	*out = NULL;
	if (!threads) {
		/* The cores this daemon may run on (taskset, systemd's
		 * CPUAffinity=), not all the machine has. */
		cpu_set_t set;
		long cores = sched_getaffinity(0, sizeof(set), &set) == 0
				     ? CPU_COUNT(&set)
				     : sysconf(_SC_NPROCESSORS_ONLN);
		threads = cores > 0 ? (unsigned)cores : 1u;
	}
	if (threads > 64)
		threads = 64;
	struct vpool *p = calloc(1, sizeof(*p) + threads * sizeof(pthread_t));
	if (!p)
		return LM_ERR_NOMEM;
	p->d = d;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	for (; p->n < threads; p->n++)
		if (pthread_create(&p->th[p->n], NULL, worker, p) != 0)
			break;
	if (!p->n) {
		free(p);
		return LM_ERR_INTERNAL;
	}
	*out = p;
	return LM_OK;
}

void vpool_stop(struct vpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->n; i++)
		pthread_join(p->th[i], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p);
}

unsigned vpool_threads(const struct vpool *p)
{
	return p ? p->n : 0;
}

struct vpool_tap *vpool_tap_new(struct vpool *p, const uint8_t holder[LM_HOLDER_LEN], size_t max)
{
	/* Not zeroed: a job is set up when it is submitted (a tap may hold
	 * hundreds of jobs of which a card uses a few dozen). */
	struct vpool_tap *tap = malloc(sizeof(*tap) + max * sizeof(struct vpool_job));
	if (!tap)
		return NULL;
	tap->p = p;
	tap->n = 0;
	tap->max = max;
	memcpy(tap->holder, holder, LM_HOLDER_LEN);
	return tap;
}

int vpool_submit(struct vpool_tap *tap, const uint8_t *bytes, size_t len)
{
	if (tap->n >= tap->max)
		return LM_ERR_CARD_FULL;
	struct vpool *p = tap->p;
	struct vpool_job *j = &tap->jobs[tap->n];
	memset(j, 0, sizeof(*j));
	j->bytes = bytes;
	j->len = len;
	j->tap = tap;
	pthread_mutex_lock(&p->lock);
	tap->n++;
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
	return LM_OK;
}

size_t vpool_submitted(const struct vpool_tap *tap)
{
	return tap->n;
}

const struct vpool_job *vpool_result(struct vpool_tap *tap, size_t i)
{
	struct vpool *p = tap->p;
	struct vpool_job *j = &tap->jobs[i];
	/* Done already (the usual case behind the radio): no lock taken. */
	if (__atomic_load_n(&j->done, __ATOMIC_ACQUIRE))
		return j;
	pthread_mutex_lock(&p->lock);
	while (!j->done) {
		j->waited = 1;
		pthread_cond_wait(&p->done, &p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return j;
}

void vpool_handoff(struct vpool_tap *tap)
{
	if (tap && tap->n && !__atomic_load_n(&tap->jobs[tap->n - 1].done, __ATOMIC_ACQUIRE))
		sched_yield();
}

void vpool_tap_free(struct vpool_tap *tap)
{
	if (!tap)
		return;
	for (size_t i = 0; i < tap->n; i++)
		vpool_result(tap, i);
	free(tap);
}
