/*
 * chatd_commit: group commit, observed from outside. Many concurrent keyed
 * senders each get every message acked exactly once, stored once with the
 * acked ts, in fewer commits than messages; a key sent twice in one batch
 * gets the first ts both times; a batch whose write fails answers every
 * message in it with 500 and stores none of it; a history read pipelined
 * after a send sees that send; --batch-max bounds a batch and --commit
 * immediate commits each message alone; SIGKILL at random moments under
 * load never loses an acked message (a seeded kill loop); a slow fsync
 * (the sync failpoint's delay) holds the answers of what it syncs but not
 * the event loop; a failed fsync stops chatd without an answer; and
 * --stats times a batch's way around the loop.
 *
 * Senders are threads with their own sockets (tests/support/rawhttp, one
 * keep-alive connection each); they only record what they saw, and the main
 * thread asserts, since cmocka's assertions must not run on other threads.
 * Pipelined requests (several in one write) are parsed in one turn of
 * chatd's loop, so they are in one batch for certain: that is how the
 * same-batch cases are made deterministic.
 */
#include <poll.h>
#include <pthread.h>

#include "chatd_test.h"

#define SENDERS_MAX 32
#define PER_SENDER_MAX 400

static struct ct_server srv;

struct sender {
	int port;
	int index;
	int count;                      /* messages to send at most */
	char prefix[32];                /* text and key: PREFIX-INDEX-I */
	int acked;                      /* messages answered 200, in order */
	char ts[PER_SENDER_MAX][32];    /* the ts each was acked with */
	int bad_status;                 /* an answer other than 200 (0: none) */
	pthread_mutex_t *mu;            /* the kill loop's counter, or NULL */
	pthread_cond_t *cv;
	int *total;
};

static void sender_text(const struct sender *s, int i, char *out, size_t len)
{
	snprintf(out, len, "%s-%d-%d", s->prefix, s->index, i);
}

/* Send keyed POSTs one at a time on one keep-alive connection until done or it breaks. */
static void *sender_run(void *arg)
{
	struct sender *s = arg;
	struct rawhttp *h = malloc(sizeof *h);
	struct rawhttp_resp *r = malloc(sizeof *r);
	char text[64], body[256], wire[512], err[128];
	json_t *j;
	int i;

	if (!h || !r || rawhttp_connect(h, "127.0.0.1", s->port, CT_TIMEOUT_MS, err, sizeof err) < 0)
		goto done;
	for (i = 0; i < s->count; i++) {
		sender_text(s, i, text, sizeof text);
		snprintf(body, sizeof body, "{\"channel\":\"general\",\"text\":\"%s\",\"client_msg_id\":\"%s\"}",
			 text, text);
		rawhttp_format_post(wire, sizeof wire, "/api/chat.postMessage", body);
		if (rawhttp_send(h, wire, strlen(wire)) < 0 || rawhttp_read(h, r, CT_TIMEOUT_MS) != 1)
			break; /* the server is gone (the kill loop) */
		if (r->status != 200) {
			s->bad_status = r->status;
			break;
		}
		j = json_loads(r->body, 0, NULL);
		snprintf(s->ts[s->acked], sizeof s->ts[0], "%s", ct_str(j, "ts"));
		json_decref(j);
		if (s->mu) {
			pthread_mutex_lock(s->mu);
			s->acked++;
			(*s->total)++;
			pthread_cond_broadcast(s->cv);
			pthread_mutex_unlock(s->mu);
		} else {
			s->acked++;
		}
	}
	rawhttp_close(h);
done:
	free(h);
	free(r);
	return NULL;
}

/* text -> [ts, times stored] for every message in general. */
static json_t *stored_by_text(int port)
{
	json_t *all = ct_history(port, "general", 1000, NULL), *by = json_object(), *m, *e;
	size_t i;

	json_array_foreach(all, i, m) {
		e = json_object_get(by, ct_str(m, "text"));
		if (e)
			json_array_set_new(e, 1, json_integer(json_integer_value(json_array_get(e, 1)) + 1));
		else
			json_object_set_new(by, ct_str(m, "text"), json_pack("[s,i]", ct_str(m, "ts"), 1));
	}
	json_decref(all);
	return by;
}

/* Every message s saw acked is stored exactly once, with the acked ts. */
static void require_acked_stored_once(json_t *by, const struct sender *s)
{
	char text[64];
	json_t *e;
	int i;

	for (i = 0; i < s->acked; i++) {
		sender_text(s, i, text, sizeof text);
		e = json_object_get(by, text);
		if (!e)
			fail_msg("%s was acked (ts %s) and is not stored", text, s->ts[i]);
		if (json_integer_value(json_array_get(e, 1)) != 1)
			fail_msg("%s is stored %lld times", text, (long long)json_integer_value(json_array_get(e, 1)));
		if (strcmp(json_string_value(json_array_get(e, 0)), s->ts[i]) != 0)
			fail_msg("%s was acked with ts %s, stored with %s", text, s->ts[i],
				 json_string_value(json_array_get(e, 0)));
	}
}

static void test_concurrent_keyed_senders_acked_once(void **state)
{
	static struct sender s[SENDERS_MAX];
	pthread_t t[SENDERS_MAX];
	json_t *by, *stats;
	int i;

	ct_start(&srv, "--stats", NULL);
	for (i = 0; i < SENDERS_MAX; i++) {
		memset(&s[i], 0, sizeof s[i]);
		s[i].port = srv.port;
		s[i].index = i;
		s[i].count = 50;
		snprintf(s[i].prefix, sizeof s[i].prefix, "conc");
		assert_int_equal(pthread_create(&t[i], NULL, sender_run, &s[i]), 0);
	}
	for (i = 0; i < SENDERS_MAX; i++)
		pthread_join(t[i], NULL);
	by = stored_by_text(srv.port);
	for (i = 0; i < SENDERS_MAX; i++) {
		if (s[i].acked != 50)
			fail_msg("sender %d: %d of 50 acked (last status %d)", i, s[i].acked, s[i].bad_status);
		require_acked_stored_once(by, &s[i]);
	}
	assert_int_equal(json_object_size(by), SENDERS_MAX * 50);
	json_decref(by);
	/* Concurrent sends shared commits: fewer commits than messages. */
	stats = ct_stop_stats(&srv);
	assert_int_equal(json_integer_value(json_object_get(stats, "messages")), SENDERS_MAX * 50);
	if (json_integer_value(json_object_get(stats, "commits")) >= SENDERS_MAX * 50)
		fail_msg("%lld commits for %d messages: no group commit",
			 (long long)json_integer_value(json_object_get(stats, "commits")), SENDERS_MAX * 50);
	json_decref(stats);
}

/* n pipelined POSTs of bodies[] in one write on a new connection; statuses and bodies back. */
static void pipelined_posts(int port, const char *const *bodies, int n, struct rawhttp_resp *r)
{
	struct rawhttp *h = malloc(sizeof *h);
	char wire[8192], err[128];
	size_t len = 0;
	int i;

	assert_non_null(h);
	assert_int_equal(rawhttp_connect(h, "127.0.0.1", port, CT_TIMEOUT_MS, err, sizeof err), 0);
	for (i = 0; i < n; i++)
		len += (size_t)rawhttp_format_post(wire + len, sizeof wire - len, "/api/chat.postMessage", bodies[i]);
	assert_int_equal(rawhttp_send(h, wire, len), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(rawhttp_read(h, &r[i], CT_TIMEOUT_MS), 1);
	rawhttp_close(h);
	free(h);
}

static void test_duplicate_in_the_same_batch_gets_the_first_ts(void **state)
{
	const char *bodies[] = {
		"{\"channel\":\"general\",\"text\":\"twice\",\"client_msg_id\":\"k-same\"}",
		"{\"channel\":\"general\",\"text\":\"other\",\"client_msg_id\":\"k-other\"}",
		"{\"channel\":\"general\",\"text\":\"twice\",\"client_msg_id\":\"k-same\"}",
	};
	struct rawhttp_resp *r = calloc(3, sizeof *r);
	json_t *a, *b, *stats;

	assert_non_null(r);
	ct_start(&srv, "--stats", NULL);
	pipelined_posts(srv.port, bodies, 3, r);
	assert_int_equal(r[0].status, 200);
	assert_int_equal(r[2].status, 200);
	a = json_loads(r[0].body, 0, NULL);
	b = json_loads(r[2].body, 0, NULL);
	assert_string_equal(ct_str(a, "ts"), ct_str(b, "ts"));
	json_decref(a);
	json_decref(b);
	assert_int_equal(ct_count_text(srv.port, "general", "twice"), 1);
	assert_int_equal(ct_count_text(srv.port, "general", "other"), 1);
	/* They were one batch, one commit. */
	stats = ct_stop_stats(&srv);
	assert_int_equal(json_integer_value(json_object_get(stats, "largest_batch")), 3);
	assert_int_equal(json_integer_value(json_object_get(stats, "batches")), 1);
	json_decref(stats);
	free(r);
}

static void test_failed_batch_answers_every_message_500_stores_none(void **state)
{
	const char *bodies[] = {
		"{\"channel\":\"general\",\"text\":\"b1\",\"client_msg_id\":\"b1\"}",
		"{\"channel\":\"random\",\"text\":\"b2\"}",
		"{\"channel\":\"general\",\"text\":\"b3\",\"client_msg_id\":\"b3\"}",
		"{\"channel\":\"general\",\"text\":\"b4\"}",
		"{\"channel\":\"general\",\"text\":\"b5\",\"client_msg_id\":\"b5\"}",
	};
	struct rawhttp_resp *r = calloc(5, sizeof *r);
	struct rawws ws;
	json_t *f, *all;
	char ts[64];
	int i;

	assert_non_null(r);
	/* The third write fails: the whole batch of five with it. */
	ct_start(&srv, "--failpoints", "persist=fail@3", NULL);
	ct_ws_open_path(&srv, &ws, "/ws?channel=general,random");
	pipelined_posts(srv.port, bodies, 5, r);
	for (i = 0; i < 5; i++) {
		assert_int_equal(r[i].status, 500);
		assert_string_equal(r[i].body, "{\"ok\":false,\"error\":\"store_failed\"}");
	}
	all = ct_history(srv.port, "general", 100, NULL);
	assert_int_equal(json_array_size(all), 0);
	json_decref(all);
	assert_int_equal(ct_count_text(srv.port, "random", "b2"), 0);
	/* The retry of the same keys is stored once each, and only now pushed. */
	pipelined_posts(srv.port, bodies, 5, r);
	for (i = 0; i < 5; i++)
		assert_int_equal(r[i].status, 200);
	f = ct_ws_next(&ws);
	assert_string_equal(ct_str(f, "text"), "b1"); /* no push of the failed batch came first */
	json_decref(f);
	assert_int_equal(ct_count_text(srv.port, "general", "b1"), 1);
	assert_int_equal(ct_count_text(srv.port, "random", "b2"), 1);
	assert_int_equal(ct_send(srv.port, "general", "after", NULL, ts, sizeof ts), 200);
	rawws_close(&ws);
	ct_stop_clean(&srv);
	free(r);
}

/* The same five pipelined sends: in batches of at most 2, or one commit each. */
static void test_batch_bound_and_immediate_mode(void **state)
{
	const char *bodies[] = {
		"{\"channel\":\"general\",\"text\":\"n1\"}", "{\"channel\":\"general\",\"text\":\"n2\"}",
		"{\"channel\":\"general\",\"text\":\"n3\"}", "{\"channel\":\"general\",\"text\":\"n4\"}",
		"{\"channel\":\"general\",\"text\":\"n5\"}",
	};
	struct rawhttp_resp *r = calloc(5, sizeof *r);
	json_t *stats;
	int i;

	assert_non_null(r);
	ct_start(&srv, "--stats", "--batch-max", "2", NULL);
	pipelined_posts(srv.port, bodies, 5, r);
	for (i = 0; i < 5; i++)
		assert_int_equal(r[i].status, 200);
	stats = ct_stop_stats(&srv);
	assert_int_equal(json_integer_value(json_object_get(stats, "largest_batch")), 2);
	assert_int_equal(json_integer_value(json_object_get(stats, "batches")), 3);
	json_decref(stats);

	ct_start(&srv, "--stats", "--commit", "immediate", NULL);
	pipelined_posts(srv.port, bodies, 5, r);
	for (i = 0; i < 5; i++)
		assert_int_equal(r[i].status, 200);
	stats = ct_stop_stats(&srv);
	assert_int_equal(json_integer_value(json_object_get(stats, "largest_batch")), 1);
	assert_int_equal(json_integer_value(json_object_get(stats, "commits")), 5);
	json_decref(stats);
	free(r);
}

static double stat_ms(json_t *stats, const char *key)
{
	json_t *v = json_object_get(stats, key);

	if (!json_is_number(v))
		fail_msg("the stats line has no number %s", key);
	return json_number_value(v);
}

/*
 * --stats follows a batch around the loop: a sender that pauses PAUSE_MS
 * between its answer and its next send shows as a gather of at least that
 * long; each of the two sends is one batch, written once and made durable
 * by one group sync of its own; waking, answering and writing take far less
 * than the pause. With --commit immediate there is no sync thread, so no
 * group sync, wake or gather.
 */
static void test_stats_follow_a_batch_around_the_loop(void **state)
{
	enum { PAUSE_MS = 300 };
	struct timespec pause = { 0, PAUSE_MS * 1000000L };
	json_t *stats;

	ct_start(&srv, "--stats", NULL);
	assert_int_equal(ct_post(srv.port, "{\"channel\":\"general\",\"text\":\"turn-1\"}", NULL), 200);
	nanosleep(&pause, NULL);
	assert_int_equal(ct_post(srv.port, "{\"channel\":\"general\",\"text\":\"turn-2\"}", NULL), 200);
	stats = ct_stop_stats(&srv);
	assert_int_equal(json_integer_value(json_object_get(stats, "batches")), 2);
	assert_int_equal(json_integer_value(json_object_get(stats, "group_syncs")), 2);
	if (stat_ms(stats, "gather_ms_mean") < PAUSE_MS || stat_ms(stats, "gather_ms_mean") > 20 * PAUSE_MS)
		fail_msg("gather_ms_mean %.3f after a pause of %d ms", stat_ms(stats, "gather_ms_mean"), PAUSE_MS);
	if (stat_ms(stats, "write_ms_mean") <= 0 || stat_ms(stats, "write_ms_mean") > PAUSE_MS ||
	    stat_ms(stats, "wake_ms_mean") > PAUSE_MS || stat_ms(stats, "answer_ms_mean") > PAUSE_MS)
		fail_msg("write %.3f, wake %.3f, answer %.3f ms: each should be well under the %d ms pause",
			 stat_ms(stats, "write_ms_mean"), stat_ms(stats, "wake_ms_mean"),
			 stat_ms(stats, "answer_ms_mean"), PAUSE_MS);
	json_decref(stats);

	ct_start(&srv, "--stats", "--commit", "immediate", NULL);
	assert_int_equal(ct_post(srv.port, "{\"channel\":\"general\",\"text\":\"alone-1\"}", NULL), 200);
	nanosleep(&pause, NULL);
	assert_int_equal(ct_post(srv.port, "{\"channel\":\"general\",\"text\":\"alone-2\"}", NULL), 200);
	stats = ct_stop_stats(&srv);
	assert_int_equal(json_integer_value(json_object_get(stats, "group_syncs")), 0);
	assert_true(stat_ms(stats, "write_ms_mean") > 0);
	assert_true(stat_ms(stats, "gather_ms_mean") == 0 && stat_ms(stats, "wake_ms_mean") == 0);
	json_decref(stats);
}

/* A GET pipelined after a POST waits for the POST's commit: it sees the message. */
static void test_history_pipelined_after_send_sees_it(void **state)
{
	struct rawhttp *h = malloc(sizeof *h);
	struct rawhttp_resp *r = malloc(sizeof *r);
	char wire[2048], err[128];
	int n;

	assert_non_null(h);
	assert_non_null(r);
	ct_start(&srv, NULL);
	assert_int_equal(rawhttp_connect(h, "127.0.0.1", srv.port, CT_TIMEOUT_MS, err, sizeof err), 0);
	n = rawhttp_format_post(wire, sizeof wire, "/api/chat.postMessage",
				"{\"channel\":\"general\",\"text\":\"read-my-write\"}");
	n += snprintf(wire + n, sizeof wire - (size_t)n,
		      "GET /api/conversations.history?channel=general HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(rawhttp_send(h, wire, (size_t)n), 0);
	assert_int_equal(rawhttp_read(h, r, CT_TIMEOUT_MS), 1);
	assert_int_equal(r->status, 200);
	assert_int_equal(rawhttp_read(h, r, CT_TIMEOUT_MS), 1);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->body, "\"text\":\"read-my-write\""));
	rawhttp_close(h);
	free(h);
	free(r);
	ct_stop_clean(&srv);
}

/*
 * The kill loop: chatd under 8 concurrent keyed senders is SIGKILLed once
 * a seeded random number of messages have been acked, then restarted on
 * the same file. Every message any client saw acked must be stored once,
 * with its ts, after every crash.
 */
static void test_kill_loop_loses_no_acked_message(void **state)
{
	enum { ITERATIONS = 4, KILL_SENDERS = 8 };
	static struct sender s[ITERATIONS][KILL_SENDERS];
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	pthread_t t[KILL_SENDERS];
	unsigned seed = 20251202;
	struct timespec until;
	int it, i, k, total, target, rc;
	json_t *by;

	printf("kill loop seed %u\n", seed);
	srand(seed);
	for (it = 0; it < ITERATIONS; it++) {
		ct_start(&srv, NULL);
		target = 20 + rand() % 300;
		total = 0;
		for (i = 0; i < KILL_SENDERS; i++) {
			memset(&s[it][i], 0, sizeof s[it][i]);
			s[it][i].port = srv.port;
			s[it][i].index = i;
			s[it][i].count = PER_SENDER_MAX;
			snprintf(s[it][i].prefix, sizeof s[it][i].prefix, "kill%d", it);
			s[it][i].mu = &mu;
			s[it][i].cv = &cv;
			s[it][i].total = &total;
			assert_int_equal(pthread_create(&t[i], NULL, sender_run, &s[it][i]), 0);
		}
		/* Wait (with a deadline) for the random number of acks, then kill mid-stream. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += CT_TIMEOUT_MS / 1000;
		pthread_mutex_lock(&mu);
		rc = 0;
		while (total < target && rc == 0)
			rc = pthread_cond_timedwait(&cv, &mu, &until);
		pthread_mutex_unlock(&mu);
		spawn_stop(&srv.sp, SIGKILL, 0);
		for (i = 0; i < KILL_SENDERS; i++)
			pthread_join(t[i], NULL);
		if (rc != 0)
			fail_msg("iteration %d: only %d of %d acks before the deadline", it, total, target);
		printf("iteration %d: killed after %d acks (target %d)\n", it, total, target);
		/* Restart on the same file: every ack so far, of every iteration, stored once. */
		ct_start(&srv, NULL);
		by = stored_by_text(srv.port);
		for (k = 0; k <= it; k++)
			for (i = 0; i < KILL_SENDERS; i++) {
				if (s[k][i].bad_status)
					fail_msg("iteration %d sender %d: status %d", k, i, s[k][i].bad_status);
				require_acked_stored_once(by, &s[k][i]);
			}
		json_decref(by);
		ct_stop_clean(&srv);
	}
}

/* Wait (up to ms) until chatd's event log holds needle; returns how long it took, or fails. */
static double wait_event(const struct ct_server *s, const char *needle, int ms)
{
	int64_t start = mono_ns();
	char buf[65536];
	size_t n;
	FILE *f;

	for (;;) {
		n = 0;
		if ((f = fopen(s->events, "r"))) {
			n = fread(buf, 1, sizeof buf - 1, f);
			fclose(f);
		}
		buf[n] = '\0';
		if (strstr(buf, needle))
			return ms_since(start);
		if (ms_since(start) > ms)
			fail_msg("no %s in chatd's event log after %d ms:\n%s", needle, ms, buf);
		poll(NULL, 0, 5);
	}
}

/*
 * A disk whose fsync takes SLOW_SYNC_MS (sync=delay:MS on the first sync):
 * the send it syncs is answered, pushed and shown by a read only after it,
 * while the loop keeps serving (a ping on another connection is answered
 * at once). On a chatd that syncs on its loop, the pong would wait too.
 */
static void test_slow_sync_holds_answers_not_the_loop(void **state)
{
	enum { SLOW_SYNC_MS = 800 };
	struct rawhttp *a = malloc(sizeof *a), *rd = malloc(sizeof *rd);
	struct rawhttp_resp *r = malloc(sizeof *r);
	char wire[2048], spec[64], buf[1024];
	struct rawws ws;
	int64_t synced_from;
	double ms;
	json_t *j;
	int n;

	assert_non_null(a);
	assert_non_null(rd);
	assert_non_null(r);
	snprintf(spec, sizeof spec, "sync=delay:%d@1", SLOW_SYNC_MS);
	ct_start(&srv, "--failpoints", spec, NULL);
	ct_ws_open(&srv, &ws); /* subscribes to general */
	ct_raw_open(&srv, a);
	ct_raw_open(&srv, rd);
	n = rawhttp_format_post(wire, sizeof wire, "/api/chat.postMessage",
				"{\"channel\":\"general\",\"text\":\"slow-disk\",\"client_msg_id\":\"k1\"}");
	assert_int_equal(rawhttp_send(a, wire, (size_t)n), 0);
	/* The commit is written and its fsync has begun (and stalls). */
	wait_event(&srv, "\"name\":\"sync\"", CT_TIMEOUT_MS);
	synced_from = mono_ns();

	/* The loop is free: a ping is answered now, not after the fsync. */
	assert_int_equal(rawws_send_text(&ws, "{\"type\":\"ping\",\"id\":7}"), 0);
	assert_int_equal(rawws_read_text(&ws, buf, sizeof buf, NULL, CT_TIMEOUT_MS), 1);
	ms = ms_since(synced_from);
	if (!strstr(buf, "\"type\":\"pong\"") || ms > SLOW_SYNC_MS / 2)
		fail_msg("during a slow fsync a ping got %s after %.0f ms (want a pong within %d ms)", buf, ms,
			 SLOW_SYNC_MS / 2);
	/* A read now sees the commit, so it is answered only once that is durable. */
	n = snprintf(wire, sizeof wire, "GET /api/conversations.history?channel=general HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(rawhttp_send(rd, wire, (size_t)n), 0);

	/* The send: answered after the fsync, and pushed only then. */
	assert_int_equal(rawhttp_read(a, r, CT_TIMEOUT_MS), 1);
	ms = ms_since(synced_from);
	assert_int_equal(r->status, 200);
	if (ms < SLOW_SYNC_MS * 3 / 4)
		fail_msg("the send was answered %.0f ms into an fsync of %d ms", ms, SLOW_SYNC_MS);
	j = ct_ws_next(&ws);
	assert_string_equal(ct_str(j, "text"), "slow-disk");
	json_decref(j);
	assert_int_equal(rawhttp_read(rd, r, CT_TIMEOUT_MS), 1);
	ms = ms_since(synced_from);
	assert_int_equal(r->status, 200);
	if (!strstr(r->body, "\"text\":\"slow-disk\"") || ms < SLOW_SYNC_MS * 3 / 4)
		fail_msg("a read during the fsync was answered after %.0f ms: %s", ms, r->body);
	rawws_close(&ws);
	rawhttp_close(a);
	rawhttp_close(rd);
	free(a);
	free(rd);
	free(r);
	ct_stop_clean(&srv);
}

/*
 * A failed fsync: chatd cannot tell what reached the disk, so it answers
 * nothing, says why and exits 1; restarted on the same file, it serves.
 */
static void test_failed_sync_stops_chatd_unanswered(void **state)
{
	struct rawhttp *a = malloc(sizeof *a);
	struct rawhttp_resp *r = malloc(sizeof *r);
	char wire[1024];
	int n, status;

	assert_non_null(a);
	assert_non_null(r);
	ct_start(&srv, "--failpoints", "sync=fail@1", NULL);
	ct_raw_open(&srv, a);
	n = rawhttp_format_post(wire, sizeof wire, "/api/chat.postMessage",
				"{\"channel\":\"general\",\"text\":\"unsynced\",\"client_msg_id\":\"k2\"}");
	assert_int_equal(rawhttp_send(a, wire, (size_t)n), 0);
	assert_int_equal(rawhttp_read(a, r, CT_TIMEOUT_MS), 0); /* closed, never answered */
	wait_event(&srv, "\"ev\":\"sync_failed\"", CT_TIMEOUT_MS);
	assert_int_equal(spawn_wait(&srv.sp, CT_TIMEOUT_MS), 0);
	status = srv.sp.status;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
		fail_msg("after a failed fsync chatd ended with wait status 0x%x (want exit 1)", status);
	rawhttp_close(a);
	ct_start(&srv, NULL);
	ct_require_served(&srv, "after-restart", CT_TIMEOUT_MS);
	ct_stop_clean(&srv);
	free(a);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CT_TEST(test_concurrent_keyed_senders_acked_once, &srv),
		CT_TEST(test_duplicate_in_the_same_batch_gets_the_first_ts, &srv),
		CT_TEST(test_failed_batch_answers_every_message_500_stores_none, &srv),
		CT_TEST(test_batch_bound_and_immediate_mode, &srv),
		CT_TEST(test_stats_follow_a_batch_around_the_loop, &srv),
		CT_TEST(test_history_pipelined_after_send_sees_it, &srv),
		CT_TEST(test_kill_loop_loses_no_acked_message, &srv),
		CT_TEST(test_slow_sync_holds_answers_not_the_loop, &srv),
		CT_TEST(test_failed_sync_stops_chatd_unanswered, &srv),
	};

	return CT_RUN(tests, NULL, NULL);
}
