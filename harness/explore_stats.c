/*
 * explore_stats: throughput and latency per stack over the cells acklab
 * explore ran (explore.h). A cell's history already says when acklab asked
 * a client to send each message (acklab "send") and when the client showed
 * it Sent; the latency is the difference, the throughput the messages over
 * the time from a cell's first send to its last answer. Only the numbers
 * are kept (8 bytes a message), so a soak of millions of messages fits; the
 * percentiles sort them once, at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "explore.h"
#include "strmap.h"
#include "util.h"

static int explore_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void explore_stats_add(struct explore_stats *stats, int *n, int max, const struct cell_result *r)
{
	struct explore_stats *s = NULL;
	struct strmap sent_at;
	int64_t *t_send = NULL, first = 0, last = 0;
	size_t len;

	if (!r->history)
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
	len = history_len(r->history);
	if (strmap_init(&sent_at, 1024) == -1)
		return;
	if (!(t_send = calloc(len + 1, sizeof *t_send)))
		goto done;
	for (size_t i = 0; i < len; i++) {
		json_t *e = history_at(r->history, i);
		const char *role = json_string_value(json_object_get(e, "role"));
		const char *ev = json_string_value(json_object_get(e, "ev"));
		const char *id = json_string_value(json_object_get(e, "id"));
		int64_t t = (int64_t)json_integer_value(json_object_get(e, "t"));
		int k;

		if (!role || !ev || !id)
			continue;
		if (strcmp(role, "acklab") == 0 && strcmp(ev, "send") == 0) {
			if (strmap_get(&sent_at, id) < 0 && strmap_put(&sent_at, id, (int)i) == 0) {
				t_send[i] = t;
				s->messages++;
				if (!first)
					first = t;
			}
		} else if (strncmp(role, "client", 6) == 0 && (strcmp(ev, "sent") == 0 || strcmp(ev, "failed") == 0)) {
			last = t > last ? t : last;
			if (strcmp(ev, "sent") != 0 || (k = strmap_get(&sent_at, id)) < 0)
				continue;
			if (s->n == s->cap) {
				size_t ncap = s->cap ? 2 * s->cap : 1024;
				double *v = realloc(s->latency_ms, ncap * sizeof *v);

				if (!v)
					goto done;
				s->latency_ms = v;
				s->cap = ncap;
			}
			s->latency_ms[s->n++] = (double)(t - t_send[k]) / 1e6;
		}
	}
	if (last > first)
		s->workload_ms += (double)(last - first) / 1e6;
done:
	free(t_send);
	strmap_free(&sent_at);
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
