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
 * cache flush). Prints one line: flush_p50_ms=X flush_p90_ms=Y
 * flush_mean_ms=Z rounds=N (the mean is what a closed loop pays on average,
 * the figure bench/chatd-throughput.sh builds its bound on).
 * Exit 0, 1 when the file cannot be written, 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define PROBE_PAGE 4096
#define PROBE_PAGES 16

static int cmp_ns(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	char path[4096], page[PROBE_PAGE];
	long rounds = 200;
	int64_t *took, total_ns = 0;
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
	if (fsync(fd) < 0)
		goto out;
	for (long r = 0; r < rounds; r++) {
		int64_t start = mono_ns();

		page[0] = (char)('a' + r % 26);
		if (pwrite(fd, page, sizeof page, (off_t)(r % PROBE_PAGES) * PROBE_PAGE) != (ssize_t)sizeof page ||
		    fdatasync(fd) < 0)
			goto out;
		took[r] = mono_ns() - start;
	}
	for (long r = 0; r < rounds; r++)
		total_ns += took[r];
	qsort(took, (size_t)rounds, sizeof *took, cmp_ns);
	printf("flush_p50_ms=%.3f flush_p90_ms=%.3f flush_mean_ms=%.3f rounds=%ld\n",
	       (double)took[rounds / 2] / 1e6, (double)took[rounds * 9 / 10] / 1e6,
	       (double)total_ns / (double)rounds / 1e6, rounds);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "flush_probe: %s: %s\n", path, strerror(errno));
	close(fd);
	unlink(path);
	free(took);
	return rc;
}
