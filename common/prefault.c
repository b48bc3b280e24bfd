/*
 * prefault: populate ahead of a writer (prefault.h). The owner's thread
 * publishes, per region, the end it wants populated (past what it has
 * written by PREFAULT_AHEAD) under the lock, and only when what was asked
 * last is half used up; the thread populates from where it got to up to
 * that end, in steps of PREFAULT_STEP so that a new request is seen soon.
 */
#include "prefault.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* How far past the written end the thread keeps pages present, and how much one call populates. */
#define PREFAULT_AHEAD (4u << 20)
#define PREFAULT_STEP (2u << 20)

struct prefault_region {
	char *base;
	size_t want;                  /* populate base[0..want) (under the lock) */
	size_t done;                  /* the thread's: populated up to here, for this base */
	size_t asked;                 /* the owner's: the want it asked for last */
};

struct prefault {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct prefault_region region[PREFAULT_REGIONS];
	bool stop;
	bool unsupported;             /* the kernel refused MADV_POPULATE_WRITE: no more calls */
};

/* The page boundary at or below p. */
static uintptr_t page_down(uintptr_t p)
{
	return p & ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
}

static void *prefault_thread(void *arg)
{
	struct prefault *pf = arg;

	thread_nice(10);              /* the owner's thread goes first: this one only saves it time */
	pthread_mutex_lock(&pf->lock);
	while (!pf->stop) {
		struct prefault_region *g = NULL;
		uintptr_t from, to;
		size_t end;

		for (int i = 0; i < PREFAULT_REGIONS && !g; i++)
			if (pf->region[i].base && pf->region[i].done < pf->region[i].want)
				g = &pf->region[i];
		if (!g || pf->unsupported) {
			pthread_cond_wait(&pf->changed, &pf->lock);
			continue;
		}
		end = g->want - g->done > PREFAULT_STEP ? g->done + PREFAULT_STEP : g->want;
		from = page_down((uintptr_t)g->base + g->done);
		to = page_down((uintptr_t)g->base + end);
		g->done = end;
		pthread_mutex_unlock(&pf->lock);
		/* The region may be freed or moved by now: populating changes no byte either way. */
		if (to > from && madvise((void *)from, to - from, MADV_POPULATE_WRITE) == -1 &&
		    (errno == EINVAL || errno == EPERM)) {
			pthread_mutex_lock(&pf->lock);
			pf->unsupported = true;
			continue;
		}
		pthread_mutex_lock(&pf->lock);
	}
	pthread_mutex_unlock(&pf->lock);
	return NULL;
}

struct prefault *prefault_start(void)
{
	struct prefault *pf = calloc(1, sizeof *pf);

	if (!pf)
		return NULL;
	pthread_mutex_init(&pf->lock, NULL);
	pthread_cond_init(&pf->changed, NULL);
	if (thread_start_quiet(&pf->thread, prefault_thread, pf) != 0) {
		pthread_mutex_destroy(&pf->lock);
		pthread_cond_destroy(&pf->changed);
		free(pf);
		return NULL;
	}
	return pf;
}

void prefault_ahead(struct prefault *pf, int region, void *base, size_t used, size_t cap)
{
	struct prefault_region *g;
	size_t want;

	if (!pf || region < 0 || region >= PREFAULT_REGIONS)
		return;
	g = &pf->region[region];
	/* The owner's own fields, read without the lock: ask again when half of the last ask is used. */
	if (g->base == base && used + PREFAULT_AHEAD / 2 < g->asked)
		return;
	want = cap - used > PREFAULT_AHEAD ? used + PREFAULT_AHEAD : cap;
	pthread_mutex_lock(&pf->lock);
	if (g->base != base) {
		g->base = base;
		g->done = used;       /* a new region (or a moved one): what is written is present */
	}
	g->want = want;
	g->asked = want;
	pthread_cond_signal(&pf->changed);
	pthread_mutex_unlock(&pf->lock);
}

void prefault_stop(struct prefault *pf)
{
	if (!pf)
		return;
	pthread_mutex_lock(&pf->lock);
	pf->stop = true;
	pthread_cond_signal(&pf->changed);
	pthread_mutex_unlock(&pf->lock);
	pthread_join(pf->thread, NULL);
	pthread_mutex_destroy(&pf->lock);
	pthread_cond_destroy(&pf->changed);
	free(pf);
}
