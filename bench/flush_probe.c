/*
 * flush_probe: how long this disk takes to make one small write durable,
 * the floor under every durable ack, used by bench/chatd-throughput.sh.
 *
 *   flush_probe DIR [ROUNDS]
 *
 * In a fresh file in DIR (removed afterwards) it writes 64 KiB and syncs
 * them, then ROUNDS times (default 200) overwrites one 4 KiB page of them
 * and calls fdatasync, as a database appending to a WAL of its working size
 * does (an overwrite: no file size to commit, only the data and the disk's
 * cache flush). It does so three ways, because on a virtual machine the
 * same flush costs more when the machine around it is not just flushing:
 *
 *   flush_*       one flush after the other: the disk's best
 *   idle_gap_*    a 400 µs sleep between flushes, as a server that flushes,
 *                 answers and waits for the next batch leaves
 *   busy_core_*   one flush after the other while another thread spins on
 *                 a core, as a busy server and its clients do
 *
 * Prints one line: flush_p50_ms=X flush_p90_ms=Y flush_mean_ms=Z
 * idle_gap_p50_ms= idle_gap_mean_ms= busy_core_p50_ms= busy_core_mean_ms=
 * rounds=N (a mean is what a closed loop pays on average; bench/chatd-
 * throughput.sh builds its bound on flush_mean_ms, the most favourable).
 * Exit 0, 1 when the file cannot be written or the thread not started, 2 on
 * a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define PROBE_PAGE 4096
#define PROBE_PAGES 16
#define PROBE_GAP_NS 400000L

struct probe_figures {
	double p50_ms, p90_ms, mean_ms;
};

static int cmp_ns(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Spins until *stop is set: the busy core. */
static void *probe_spin(void *arg)
{
	volatile int *stop = arg;

	while (!__atomic_load_n(stop, __ATOMIC_RELAXED))
		;
	return NULL;
}

/*
 * rounds overwrite + fdatasync pairs on fd, with gap_ns of sleep between
 * them; took has room for rounds. Returns 0, or -1 with errno.
 */
static int probe_rounds(int fd, long rounds, long gap_ns, int64_t *took, struct probe_figures *out)
{
	struct timespec gap = { 0, gap_ns };
	char page[PROBE_PAGE];
	int64_t total_ns = 0;

	memset(page, 'x', sizeof page);
	for (long r = 0; r < rounds; r++) {
		int64_t start = mono_ns();

		page[0] = (char)('a' + r % 26);
		if (pwrite(fd, page, sizeof page, (off_t)(r % PROBE_PAGES) * PROBE_PAGE) != (ssize_t)sizeof page ||
		    fdatasync(fd) < 0)
			return -1;
		took[r] = mono_ns() - start;
		total_ns += took[r];
		if (gap_ns)
			nanosleep(&gap, NULL);
	}
	qsort(took, (size_t)rounds, sizeof *took, cmp_ns);
	out->p50_ms = (double)took[rounds / 2] / 1e6;
	out->p90_ms = (double)took[rounds * 9 / 10] / 1e6;
	out->mean_ms = (double)total_ns / (double)rounds / 1e6;
	return 0;
}

int main(int argc, char **argv)
{
	struct probe_figures best, gapped, busy;
	char path[4096], page[PROBE_PAGE];
	long rounds = 200;
	int64_t *took;
	volatile int stop = 0;
	pthread_t spinner;
	int fd, rc = 1;

	if (argc < 2 || argc > 3 || (argc == 3 && ((rounds = strtol(argv[2], NULL, 10)) < 1 || rounds > 100000))) {
		fprintf(stderr, "usage: flush_probe DIR [ROUNDS 1..100000]\n");
		return 2;
	}
	if ((size_t)snprintf(path, sizeof path, "%s/flush-probe.%ld", argv[1], (long)getpid()) >= sizeof path) {
		fprintf(stderr, "flush_probe: '%s': path too long\n", argv[1]);
		return 2;
	}
	if (!(took = calloc((size_t)rounds, sizeof *took)))
		return 1;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "flush_probe: %s: %s\n", path, strerror(errno));
		free(took);
		return 1;
	}
	memset(page, 'x', sizeof page);
	for (int i = 0; i < PROBE_PAGES; i++)
		if (pwrite(fd, page, sizeof page, (off_t)i * PROBE_PAGE) != (ssize_t)sizeof page)
			goto out;
	if (fsync(fd) < 0 || probe_rounds(fd, rounds, 0, took, &best) < 0 ||
	    probe_rounds(fd, rounds, PROBE_GAP_NS, took, &gapped) < 0)
		goto out;
	if ((errno = pthread_create(&spinner, NULL, probe_spin, (void *)&stop)) != 0)
		goto out;
	rc = probe_rounds(fd, rounds, 0, took, &busy) < 0;
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(spinner, NULL);
	if (rc)
		goto out;
	printf("flush_p50_ms=%.3f flush_p90_ms=%.3f flush_mean_ms=%.3f idle_gap_p50_ms=%.3f idle_gap_mean_ms=%.3f "
	       "busy_core_p50_ms=%.3f busy_core_mean_ms=%.3f rounds=%ld\n",
	       best.p50_ms, best.p90_ms, best.mean_ms, gapped.p50_ms, gapped.mean_ms, busy.p50_ms, busy.mean_ms,
	       rounds);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "flush_probe: %s: %s\n", path, strerror(errno));
	close(fd);
	unlink(path);
	free(took);
	return rc;
}
