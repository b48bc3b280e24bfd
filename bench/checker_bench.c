/*
 * checker_bench: how fast the check stage classifies a big cell, from the
 * cell's files as `acklab check` and `acklab report` read them.
 *
 *   checker_bench write DIR N     write DIR/history.jsonl and DIR/store.jsonl; prints
 *                                 "store_read_ns T", the time the run read the store
 *   checker_bench check DIR N T [jansson]   check them once and print the figures
 *
 * The canned cell: N messages, each sent, tried once, shown Sent, pushed to
 * one recipient and stored once (every hundredth also stored a second time,
 * so the classes are not all "ok"), in time order, in the lines the runner
 * writes (history_write_jsonl: "t", "t_ms", the role's fields, "role"); then
 * the store read back at the end, its rows both in history.jsonl (which the
 * check leaves out) and in store.jsonl (which it reads), as a run records
 * them. The two steps are two processes so the check's peak RSS is its own.
 * "check" goes through checker_run_files(); "check ... jansson" through
 * history_load_cell() and checker_run_at(), the way the check stage builds
 * the history in memory, for comparison. Exit status 1 when the classes
 * come out wrong or the check fails, 2 on a usage error.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../harness/checker.h"
#include "../harness/history.h"
#include "util.h"

#define BENCH_T0 1000000000LL         /* the cell's time zero; entries are 1 us apart */

/* CPU time of this process so far (user and system, every thread), in ms. */
static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* CPU time of the calling thread so far, in ms. */
static double thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long page_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

static long peak_rss_mb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024;
}

/* The runner's prefix of a line: {"t":T,"t_ms":MS, */
static void bench_head(FILE *f, long long t)
{
	fprintf(f, "{\"t\":%lld,\"t_ms\":%.3f,", t, (double)(t - BENCH_T0) / 1e6);
}

static int bench_write(const char *dir, long n)
{
	char path[PATH_MAX];
	FILE *h, *s;
	long long t = BENCH_T0;

	snprintf(path, sizeof path, "%s/history.jsonl", dir);
	h = fopen(path, "we");
	snprintf(path, sizeof path, "%s/store.jsonl", dir);
	s = fopen(path, "we");
	if (!h || !s) {
		fprintf(stderr, "checker_bench: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (long i = 0; i < n; i++) {
		bench_head(h, t += 1000);
		fprintf(h, "\"ev\":\"send\",\"id\":\"w1.%ld\",\"token\":\"acklab-5f2c-w1.%ld\",\"channel\":\"general\","
			"\"text\":\"w1.%ld: message w1.%ld (acklab-5f2c-w1.%ld)\",\"watched\":true,\"role\":\"acklab\"}\n",
			i, i, i, i, i);
		bench_head(h, t += 1000);
		fprintf(h, "\"ev\":\"sending\",\"id\":\"w1.%ld\",\"attempt\":1,\"role\":\"client\"}\n", i);
		bench_head(h, t += 1000);
		fprintf(h, "\"ev\":\"sent\",\"id\":\"w1.%ld\",\"ts\":\"1700000000.%06ld\",\"attempts\":1,"
			"\"role\":\"client\"}\n", i, i);
		bench_head(h, t += 1000);
		fprintf(h, "\"ev\":\"received\",\"channel\":\"general\",\"ts\":\"1700000000.%06ld\","
			"\"text\":\"w1.%ld: message w1.%ld (acklab-5f2c-w1.%ld)\",\"via\":\"ws\","
			"\"role\":\"recipient1\"}\n", i, i, i, i);
	}
	bench_head(h, t += 1000);
	fprintf(h, "\"ev\":\"started\",\"first_life\":true,\"role\":\"store\"}\n");
	for (long i = 0; i < n; i++) {
		for (int copy = 0; copy < (i % 100 == 99 ? 2 : 1); copy++) {
			char row[256];

			if (copy)       /* the second copy, another ts: a duplicate */
				snprintf(row, sizeof row, "\"channel\":\"general\",\"ts\":\"0.1\","
					 "\"text\":\"w1.%ld: message w1.%ld (acklab-5f2c-w1.%ld)\"", i, i, i);
			else
				snprintf(row, sizeof row, "\"channel\":\"general\",\"ts\":\"1700000000.%06ld\","
					 "\"text\":\"w1.%ld: message w1.%ld (acklab-5f2c-w1.%ld)\"", i, i, i, i);
			fprintf(s, "{%s}\n", row);
			bench_head(h, t += 1000);
			fprintf(h, "%s,\"ev\":\"stored\",\"role\":\"store\"}\n", row);
		}
	}
	bench_head(h, t += 1000);
	fprintf(h, "\"ev\":\"exit\",\"status\":0,\"role\":\"store\"}\n");
	if (fclose(h) != 0 || fclose(s) != 0) {
		fprintf(stderr, "checker_bench: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	/* The store was read back when its exit was seen: the time check must give as store_read_ns. */
	printf("store_read_ns %lld\n", t);
	return 0;
}

static int bench_check(const char *dir, long n, long long store_t, bool jansson)
{
	char history_path[PATH_MAX], store_path[PATH_MAX], err[512];
	struct chk_result r = { 0 };
	int64_t start = mono_ns();
	double ms, cpu = cpu_ms(), cpu_main = thread_cpu_ms();
	int rc;

	snprintf(history_path, sizeof history_path, "%s/history.jsonl", dir);
	snprintf(store_path, sizeof store_path, "%s/store.jsonl", dir);
	if (jansson) {
		struct history *h = history_load_cell(history_path, store_path, store_t, err, sizeof err);

		rc = h ? checker_run_at(h, NULL, 1, BENCH_T0, &r, err, sizeof err) : -1;
		history_free(h);
	} else {
		rc = checker_run_files(history_path, store_path, store_t, NULL, 1, BENCH_T0, &r, err, sizeof err);
	}
	ms = ms_since(start);
	cpu = cpu_ms() - cpu;
	cpu_main = thread_cpu_ms() - cpu_main;
	if (rc == -1) {
		fprintf(stderr, "checker_bench: %s\n", err);
		chk_result_free(&r);
		return 1;
	}
	printf("path:              %s\n", jansson ? "jansson (history_load_cell + checker_run_at)"
						  : "files (checker_run_files)");
	printf("messages:          %ld\n", n);
	printf("check time:        %.0f ms (reading the files included); CPU %.0f ms, %.0f of them in the "
	       "checker's thread\n", ms, cpu, cpu_main);
	printf("messages/s:        %.0f (by CPU time: %.0f)\n", (double)n / (ms / 1000.0),
	       (double)n / (cpu / 1000.0));
	printf("classes:           ok %d, duplicate %d\n", r.counts[CHK_OK], r.counts[CHK_DUPLICATE]);
	printf("peak RSS:          %ld MB (%.0f bytes per message; %ld page faults)\n", peak_rss_mb(),
	       (double)peak_rss_mb() * 1048576.0 / (double)n, page_faults());
	rc = r.nmsgs == n && r.counts[CHK_DUPLICATE] == n / 100 && r.counts[CHK_OK] == n - n / 100 ? 0 : 1;
	if (rc)
		fprintf(stderr, "checker_bench: wrong classes\n");
	chk_result_free(&r);
	return rc;
}

int main(int argc, char **argv)
{
	long n;
	char err[256];

	if (argc < 4 || (strcmp(argv[1], "write") != 0 && strcmp(argv[1], "check") != 0)) {
		fprintf(stderr, "usage: checker_bench write DIR N | check DIR N STORE_READ_NS [jansson]\n");
		return 2;
	}
	if (parse_long(argv[3], 1, 100000000, &n, err, sizeof err) == -1) {
		fprintf(stderr, "checker_bench: N: %s\n", err);
		return 2;
	}
	if (strcmp(argv[1], "write") == 0)
		return bench_write(argv[2], n);
	if (argc < 5) {
		fprintf(stderr, "checker_bench: check needs STORE_READ_NS (what write printed)\n");
		return 2;
	}
	return bench_check(argv[2], n, strtoll(argv[4], NULL, 10), argc > 5 && strcmp(argv[5], "jansson") == 0);
}
