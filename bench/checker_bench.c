/*
 * checker_bench: how fast the checker classifies, on a canned history it
 * builds in memory. N messages, each sent, tried once, shown Sent, pushed to
 * one recipient and stored once (every hundredth also stored twice, so the
 * classes are not all "ok"), in time order as a real run records them; the
 * store read back at the end. Prints the history's size, the time to check
 * it, messages per second and the process's peak memory, as figures.
 *
 *   checker_bench [N [REPEAT]]   (default 1000000 messages, checked once; REPEAT
 *                                 checks again, for a profiler to see the check)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../harness/checker.h"
#include "../harness/history.h"
#include "util.h"

static void add(struct history *h, const char *role, int64_t t, json_t *o)
{
	if (!o || !history_add(h, role, o, t)) {
		fprintf(stderr, "checker_bench: out of memory\n");
		exit(1);
	}
}

static long peak_rss_mb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024;
}

int main(int argc, char **argv)
{
	long n = 1000000, repeat = 1;
	struct history *h = history_new();
	struct chk_result r = { 0 };
	char id[32], token[64], text[128], ts[32], err[256];
	int64_t t = 1, start;
	double build_ms, check_ms = 0;
	long rss_before;

	if (argc > 1 && parse_long(argv[1], 1, 100000000, &n, err, sizeof err) == -1) {
		fprintf(stderr, "checker_bench: N: %s\n", err);
		return 2;
	}
	if (argc > 2 && parse_long(argv[2], 1, 1000, &repeat, err, sizeof err) == -1) {
		fprintf(stderr, "checker_bench: REPEAT: %s\n", err);
		return 2;
	}
	start = mono_ns();
	for (long i = 0; i < n; i++) {
		snprintf(id, sizeof id, "w1.%ld", i);
		snprintf(token, sizeof token, "acklab-5f2c-%s", id);
		snprintf(text, sizeof text, "%s: message %s (%s)", id, id, token);
		snprintf(ts, sizeof ts, "1700000000.%06ld", i);
		add(h, "acklab", t++, json_pack("{s:s, s:s, s:s, s:s}", "ev", "send", "id", id, "token", token,
						"channel", "general"));
		add(h, "client", t++, json_pack("{s:s, s:s, s:i}", "ev", "sending", "id", id, "attempt", 1));
		add(h, "client", t++, json_pack("{s:s, s:s, s:i, s:s}", "ev", "sent", "id", id, "attempts", 1,
						"ts", ts));
		add(h, "recipient1", t++, json_pack("{s:s, s:s, s:s, s:s}", "ev", "received", "ts", ts, "text",
						    text, "via", "ws"));
	}
	for (long i = 0; i < n; i++) {
		snprintf(id, sizeof id, "w1.%ld", i);
		snprintf(text, sizeof text, "%s: message %s (acklab-5f2c-%s)", id, id, id);
		snprintf(ts, sizeof ts, "1700000000.%06ld", i);
		add(h, "store", t, json_pack("{s:s, s:s, s:s}", "ev", "stored", "ts", ts, "text", text));
		if (i % 100 == 99)
			add(h, "store", t, json_pack("{s:s, s:s, s:s}", "ev", "stored", "ts", "0.1", "text", text));
	}
	build_ms = ms_since(start);
	rss_before = peak_rss_mb();
	for (long k = 0; k < repeat; k++) {
		chk_result_free(&r);
		start = mono_ns();
		if (checker_run_at(h, NULL, 1, 0, &r, err, sizeof err) == -1) {
			fprintf(stderr, "checker_bench: %s\n", err);
			return 1;
		}
		check_ms = ms_since(start);      /* the last one: caches warm, as in a re-check */
	}
	printf("messages:          %ld\n", n);
	printf("history entries:   %zu (built in %.0f ms, peak RSS %ld MB)\n", history_len(h), build_ms,
	       rss_before);
	printf("check time:        %.0f ms\n", check_ms);
	printf("messages/s:        %.0f\n", (double)n / (check_ms / 1000.0));
	printf("classes:           ok %d, duplicate %d\n", r.counts[CHK_OK], r.counts[CHK_DUPLICATE]);
	printf("peak RSS:          %ld MB (checker added %ld MB: %.0f bytes per message)\n", peak_rss_mb(),
	       peak_rss_mb() - rss_before, (double)(peak_rss_mb() - rss_before) * 1048576.0 / (double)n);
	chk_result_free(&r);
	history_free(h);
	return r.counts[CHK_DUPLICATE] == n / 100 ? 0 : 1;
}
