/*
 * vpool.c - the verification pool (vpool.h).  One lock and two condition
 * variables for the whole pool: work arrives (workers wait) and work is
 * done (reader threads wait); a tap's jobs live in one array it owns.
 */
#include "vpool.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "laufmappe/lm_err.h"
#include "log.h"

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

/* One entry: prepare, then the verdict cache or the check (no storing). */
static void run_job(struct vpool *p, struct lm_cache **cache, int *tried, struct vpool_job *j)
{
	if (!*cache && !*tried) {
		*tried = 1;
		if (lm_cache_open(p->d->cfg.database, cache) != LM_OK)
			*cache = NULL;
	}
	j->chk.err = lm_trust_prepare(j->bytes, j->len, &j->chk.res);
	j->fresh = 0;
	desk_check_lookup(p->d, *cache, j->tap->holder, &j->chk, &j->trust, &j->fresh);
}

static void *worker(void *arg)
{
	struct vpool *p = arg;
	struct lm_cache *cache = NULL;
	int tried = 0;
	/* Behind the radio: the card's I/O (reader thread, pcscd, a reader's
	 * driver) goes first when the cores are busy; a Linux thread has its
	 * own nice value. */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), VPOOL_NICE);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->head && !p->stop)
			pthread_cond_wait(&p->work, &p->lock);
		if (!p->head)
			break;
		struct vpool_job *j = p->head;
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		pthread_mutex_unlock(&p->lock);
		run_job(p, &cache, &tried, j);
		pthread_mutex_lock(&p->lock);
		j->done = 1;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	lm_cache_close(cache);
	return NULL;
}

int vpool_start(struct desk *d, unsigned threads, struct vpool **out)
{
	*out = NULL;
	if (!threads) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
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
	struct vpool_tap *tap = calloc(1, sizeof(*tap) + max * sizeof(struct vpool_job));
	if (!tap)
		return NULL;
	tap->p = p;
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
	pthread_mutex_lock(&p->lock);
	while (!j->done)
		pthread_cond_wait(&p->done, &p->lock);
	pthread_mutex_unlock(&p->lock);
	return j;
}

void vpool_tap_free(struct vpool_tap *tap)
{
	if (!tap)
		return;
	for (size_t i = 0; i < tap->n; i++)
		vpool_result(tap, i);
	free(tap);
}
