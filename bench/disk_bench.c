/*
 * disk_bench: what acklab's storage filesystem costs a server, as figures.
 * For each folder given, N rounds of "write 4 KiB, fsync" on a file there,
 * once directly and once through acklab's FUSE filesystem passing through
 * to that folder (disk.h; the fsync then writes the cached data to the real
 * file and stops: no fsync of the real file, see diskcache.h). Prints the
 * median and 99th percentile of each in milliseconds. It runs inside
 * acklab's sandbox, as acklab does, and leaves only its own file, removed.
 *
 *   disk_bench ACKLAB_EXE [N [FOLDER...]]   (default 200 rounds in /dev/shm and /tmp)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../harness/disk.h"
#include "../harness/sandbox.h"
#include "util.h"

#define BENCH_FILE "acklab-disk-bench"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* N rounds of write + fsync on dir_fd/BENCH_FILE; median and p99 in ms. -1 on error. */
static int bench_rounds(int dir_fd, int n, double *median, double *p99)
{
	static char block[4096];
	double *ms = calloc((size_t)n, sizeof *ms);
	int fd = openat(dir_fd, BENCH_FILE, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (!ms || fd < 0) {
		free(ms);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	memset(block, 'a', sizeof block);
	for (int i = 0; i < n; i++) {
		int64_t t = mono_ns();

		if (pwrite(fd, block, sizeof block, (off_t)i * (off_t)sizeof block) != sizeof block ||
		    fsync(fd) != 0) {
			close(fd);
			free(ms);
			return -1;
		}
		ms[i] = ms_since(t);
	}
	close(fd);
	qsort(ms, (size_t)n, sizeof *ms, cmp_double);
	*median = ms[n / 2];
	*p99 = ms[(n * 99) / 100];
	free(ms);
	return 0;
}

static int bench_folder(const char *exe, const char *folder, int n)
{
	double dmed, dp99, fmed, fp99;
	struct disk *d = NULL;
	char err[512];
	int dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC), mnt = -1, rc = -1;

	if (dir < 0) {
		fprintf(stderr, "disk_bench: %s: %s\n", folder, strerror(errno));
		return -1;
	}
	if (bench_rounds(dir, n, &dmed, &dp99) == -1) {
		fprintf(stderr, "disk_bench: %s: direct: %s\n", folder, strerror(errno));
		goto done;
	}
	if (disk_open(&d, dir, exe, -1, err, sizeof err) == -1 ||
	    (mnt = disk_mount(d, err, sizeof err)) < 0) {
		fprintf(stderr, "disk_bench: %s: %s\n", folder, err);
		goto done;
	}
	if (bench_rounds(mnt, n, &fmed, &fp99) == -1) {
		fprintf(stderr, "disk_bench: %s: through FUSE: %s\n", folder, strerror(errno));
		goto done;
	}
	printf("%-12s direct  write+fsync median %7.3f ms  p99 %7.3f ms\n", folder, dmed, dp99);
	printf("%-12s FUSE    write+fsync median %7.3f ms  p99 %7.3f ms\n", folder, fmed, fp99);
	rc = 0;
done:
	if (mnt >= 0)
		close(mnt);
	disk_close(d, NULL, 0);
	unlinkat(dir, BENCH_FILE, 0);
	close(dir);
	return rc;
}

int main(int argc, char **argv)
{
	const char *defaults[] = { "/dev/shm", "/tmp" };
	char err[512];
	int n = argc > 2 ? atoi(argv[2]) : 200, rc = 0;

	if (argc < 2 || n < 1) {
		fprintf(stderr, "usage: disk_bench ACKLAB_EXE [N [FOLDER...]]\n");
		return 2;
	}
	if (sandbox_enter(err, sizeof err) == -1 || disk_probe(err, sizeof err) == -1) {
		fprintf(stderr, "disk_bench: %s\n", err);
		return 4;
	}
	printf("%d rounds of a 4 KiB write and an fsync, per folder\n", n);
	if (argc > 3) {
		for (int i = 3; i < argc; i++)
			rc |= bench_folder(argv[1], argv[i], n);
	} else {
		for (size_t i = 0; i < ARRAY_LEN(defaults); i++)
			rc |= bench_folder(argv[1], defaults[i], n);
	}
	return rc ? 1 : 0;
}
