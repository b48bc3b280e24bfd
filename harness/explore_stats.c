/*
 * explore_stats: throughput and latency per stack over the cells acklab
 * explore ran (explore.h). The checker already says of each message when
 * acklab asked a client to send it and when the client showed it Sent
 * (chk_message); the latency is the difference, the throughput the
 * messages over the time from a cell's first send to its last answer. Only the numbers
 * are kept (8 bytes a message), so a soak of millions of messages fits; the
 * percentiles sort them once, at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "explore.h"
#include "util.h"

static int explore_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void explore_stats_add(struct explore_stats *stats, int *n, int max, const struct cell_result *r)
{
	struct explore_stats *s = NULL;
	double first = 0, last = 0;
	bool answered = false;

	if (!r->classified || r->chk.nmsgs == 0)
		return;
	for (int i = 0; i < *n && !s; i++)
		if (strcmp(stats[i].stack, r->stack) == 0)
			s = &stats[i];
	if (!s) {
		if (*n == max)
			return;
		s = &stats[(*n)++];
		memset(s, 0, sizeof *s);
		str_copy(s->stack, r->stack, sizeof s->stack);
	}
	if (s->n + (size_t)r->chk.nmsgs > s->cap) {
		size_t ncap = s->cap ? 2 * s->cap : 1024;
		double *v;

		while (ncap < s->n + (size_t)r->chk.nmsgs)
			ncap *= 2;
		if (!(v = realloc(s->latency_ms, ncap * sizeof *v)))
			return;
		s->latency_ms = v;
		s->cap = ncap;
	}
	for (int i = 0; i < r->chk.nmsgs; i++) {
		const struct chk_message *m = &r->chk.msgs[i];

		s->messages++;
		first = i == 0 || m->send_ms < first ? m->send_ms : first;
		if (strcmp(m->client_outcome, "none") == 0)
			continue;
		last = !answered || m->client_ms > last ? m->client_ms : last;
		answered = true;
		if (strcmp(m->client_outcome, "sent") == 0)
			s->latency_ms[s->n++] = m->client_ms - m->send_ms;
	}
	if (answered && last > first)
		s->workload_ms += last - first;
}

void explore_stats_print(FILE *f, struct explore_stats *stats, int n)
{
	for (int i = 0; i < n; i++) {
		struct explore_stats *s = &stats[i];
		double p50 = 0, p99 = 0;

		if (s->n) {
			qsort(s->latency_ms, s->n, sizeof *s->latency_ms, explore_cmp_double);
			p50 = s->latency_ms[(s->n - 1) / 2];
			p99 = s->latency_ms[(size_t)((double)(s->n - 1) * 0.99)];
		}
		fprintf(f, "  %-18s %8ld messages %8.0f msgs/s   Sent minus send: p50 %7.1f ms  p99 %7.1f ms\n",
			s->stack, s->messages, s->workload_ms > 0 ? s->messages * 1000.0 / s->workload_ms : 0.0, p50,
			p99);
	}
}

void explore_stats_free(struct explore_stats *stats, int n)
{
	for (int i = 0; i < n; i++)
		free(stats[i].latency_ms);
}
