/*
 * chatd_test.h: what every chatd integration test needs, kept in one header
 * so the three test programs stay short: a chatd started on 127.0.0.1 with
 * an ephemeral port and a fresh database in its own temporary directory,
 * HTTP calls through libcurl with a timeout, and history read back as JSON.
 *
 * Functions are static inline because tests/support/ is linked into unit
 * tests too, which do not link libcurl or jansson.
 */
#ifndef CHATD_TEST_H
#define CHATD_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "util.h"
#include "../support/rawhttp.h"
#include "../support/rawws.h"
#include "../support/scratch.h"
#include "../support/spawn.h"

#define CT_TIMEOUT_MS 5000

struct ct_server {
	struct spawn sp;
	int port;
	char dir[64];
	char db[128];
	char events[128];
};

/* Skip the whole program (exit 77) when the binaries are not there. */
static inline void ct_require_bin(void)
{
	char path[4096];

	if (spawn_bin_path("chatd", path, sizeof path) < 0 || access(path, X_OK) < 0) {
		printf("ACKLAB_BIN not set or no chatd there (run through make test)\n");
		exit(77);
	}
}

/* A fresh temporary directory for the database and the event log. */
static inline void ct_init(struct ct_server *s)
{
	memset(s, 0, sizeof *s);
	strcpy(s->dir, "/tmp/chatd-test-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->db, sizeof s->db, "%s/chat.db", s->dir);
	snprintf(s->events, sizeof s->events, "%s/events.jsonl", s->dir);
}

/* ct_start() with opts (NULL: none) for the child and the extra arguments in ap. */
static inline void ct_start_va(struct ct_server *s, const struct spawn_opts *opts, va_list ap)
{
	char path[4096], err[256];
	char *argv[32];
	const char *a;
	int n = 0;

	assert_int_equal(spawn_bin_path("chatd", path, sizeof path), 0);
	argv[n++] = path;
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--db";
	argv[n++] = s->db;
	argv[n++] = "--events";
	argv[n++] = s->events;
	while ((a = va_arg(ap, const char *)) && n < 30)
		argv[n++] = (char *)a;
	argv[n] = NULL;
	if (spawn_start_opts(&s->sp, argv, opts, err, sizeof err) < 0)
		fail_msg("start chatd: %s", err);
	s->port = spawn_wait_ready_port(&s->sp, CT_TIMEOUT_MS);
	if (s->port <= 0) {
		spawn_stop(&s->sp, SIGKILL, 100);
		fail_msg("chatd did not print its ready line in time");
	}
}

/*
 * Start chatd on s->db with the extra arguments (NULL-terminated list) plus
 * --events s->events, and wait for its ready line.
 */
static inline void ct_start(struct ct_server *s, ...)
{
	va_list ap;

	va_start(ap, s);
	ct_start_va(s, NULL, ap);
	va_end(ap);
}

/* ct_start() with a resource limit or environment for chatd (see spawn_opts). */
static inline void ct_start_opts(struct ct_server *s, const struct spawn_opts *opts, ...)
{
	va_list ap;

	va_start(ap, opts);
	ct_start_va(s, opts, ap);
	va_end(ap);
}

/* SIGTERM, and return the wait status (killed if it does not exit in 3 s). */
static inline int ct_stop(struct ct_server *s)
{
	return spawn_stop(&s->sp, SIGTERM, 3000);
}

/* SIGTERM and require a clean exit 0 (a leak under ASan fails it too). */
static inline void ct_stop_clean(struct ct_server *s)
{
	int status = ct_stop(s);

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("chatd did not exit cleanly on SIGTERM (wait status 0x%x)", status);
}

/*
 * SIGTERM a chatd started with --stats and return its final stats line as
 * JSON (caller decrefs); fails the test unless it exits 0 with one.
 */
static inline json_t *ct_stop_stats(struct ct_server *s)
{
	char line[1024];
	json_t *j;

	assert_int_equal(kill(s->sp.pid, SIGTERM), 0);
	if (spawn_wait_line(&s->sp, "\"ev\":\"stats\"", line, sizeof line, CT_TIMEOUT_MS) != 1)
		fail_msg("chatd --stats printed no stats line on SIGTERM");
	j = json_loads(line, 0, NULL);
	assert_non_null(j);
	ct_stop_clean(s);
	return j;
}

/* Stop if running and remove the temporary directory. */
static inline void ct_cleanup(struct ct_server *s)
{
	if (s->sp.pid > 0 && !s->sp.reaped)
		ct_stop(s);
	scratch_remove(s->dir);
}

/* cmocka setup and teardown for a test that starts its own chatd in the ct_server *state. */
static inline int ct_setup(void **state)
{
	ct_init(*state);
	return 0;
}

static inline int ct_teardown(void **state)
{
	ct_cleanup(*state);
	return 0;
}

/* Test f with a fresh directory in server s (a struct ct_server *) and nothing left after. */
#define CT_TEST(f, s) cmocka_unit_test_prestate_setup_teardown(f, ct_setup, ct_teardown, s)

static inline int ct_curl_done(int rc)
{
	curl_global_cleanup();
	return rc;
}

/*
 * main()'s result: skip the program (exit 77) without bin/chatd, else run
 * tests with the group fixtures (NULL for none) and libcurl set up around them.
 */
#define CT_RUN(tests, group_setup, group_teardown) \
	(ct_require_bin(), curl_global_init(CURL_GLOBAL_DEFAULT), \
	 ct_curl_done(cmocka_run_group_tests(tests, group_setup, group_teardown)))

struct ct_buf {
	char *p;
	size_t len;
};

static inline size_t ct_write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	struct ct_buf *b = ud;
	size_t n = size * nmemb;
	char *np = realloc(b->p, b->len + n + 1);

	if (!np)
		return 0;
	b->p = np;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

/*
 * One HTTP request on curl handle h (NULL: a fresh handle). body NULL means
 * GET. Returns the HTTP status, or -1 on a transport error (connection
 * closed without a reply...). The JSON answer, if any, goes to *out
 * (caller decrefs; may be NULL).
 */
static inline long ct_http(CURL *h, int port, const char *path, const char *body,
			   size_t body_len, json_t **out)
{
	struct ct_buf b = { NULL, 0 };
	CURL *c = h ? h : curl_easy_init();
	char url[2048];
	long status = -1;
	CURLcode rc;

	if (out)
		*out = NULL;
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)CT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ct_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body_len);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (out && b.p)
		*out = json_loads(b.p, 0, NULL);
	free(b.p);
	if (!h)
		curl_easy_cleanup(c);
	return status;
}

/* POST a JSON text to chat.postMessage. */
static inline long ct_post(int port, const char *json, json_t **out)
{
	return ct_http(NULL, port, "/api/chat.postMessage", json, strlen(json), out);
}

/* POST {"channel","text","client_msg_id"?}; returns status, ts copied out on 200. */
static inline long ct_send(int port, const char *channel, const char *text, const char *cmid,
			   char *ts, size_t tslen)
{
	json_t *req = json_pack("{s:s,s:s}", "channel", channel, "text", text), *resp = NULL;
	char *s;
	long st;

	if (cmid)
		json_object_set_new(req, "client_msg_id", json_string(cmid));
	s = json_dumps(req, JSON_COMPACT);
	st = ct_post(port, s, &resp);
	if (ts && tslen) {
		ts[0] = '\0';
		if (st == 200 && json_is_string(json_object_get(resp, "ts")))
			snprintf(ts, tslen, "%s", json_string_value(json_object_get(resp, "ts")));
	}
	free(s);
	json_decref(req);
	json_decref(resp);
	return st;
}

/*
 * Every message of channel, paging with limit; a new array (caller decrefs).
 * *pages gets the number of requests made (may be NULL).
 */
static inline json_t *ct_history(int port, const char *channel, int limit, int *pages)
{
	json_t *all = json_array(), *resp, *msgs;
	char path[512], cursor[64] = "";
	const char *next;
	int n = 0;

	for (;;) {
		snprintf(path, sizeof path, "/api/conversations.history?channel=%s&limit=%d%s%s",
			 channel, limit, cursor[0] ? "&cursor=" : "", cursor);
		assert_int_equal(ct_http(NULL, port, path, NULL, 0, &resp), 200);
		n++;
		assert_true(n < 10000);
		msgs = json_object_get(resp, "messages");
		assert_true(json_is_array(msgs));
		json_array_extend(all, msgs);
		next = json_string_value(json_object_get(json_object_get(resp, "response_metadata"),
							 "next_cursor"));
		if (!json_is_true(json_object_get(resp, "has_more"))) {
			json_decref(resp);
			break;
		}
		assert_non_null(next);
		assert_true(next[0] != '\0');
		snprintf(cursor, sizeof cursor, "%s", next);
		json_decref(resp);
	}
	if (pages)
		*pages = n;
	return all;
}

/* How many stored messages of channel have exactly this text. */
static inline int ct_count_text(int port, const char *channel, const char *text)
{
	json_t *all = ct_history(port, channel, 1000, NULL), *m;
	size_t i;
	int n = 0;

	json_array_foreach(all, i, m)
		if (strcmp(json_string_value(json_object_get(m, "text")), text) == 0)
			n++;
	json_decref(all);
	return n;
}

/* Open a raw WebSocket on s at path (e.g. "/ws?channel=random"), failing the test if it cannot. */
static inline void ct_ws_open_path(struct ct_server *s, struct rawws *ws, const char *path)
{
	char err[256];

	if (rawws_connect(ws, "127.0.0.1", s->port, path, NULL, CT_TIMEOUT_MS, err, sizeof err) < 0)
		fail_msg("ws connect %s: %s", path, err);
}

/* Open a raw WebSocket subscriber of the default channel (general) on s. */
static inline void ct_ws_open(struct ct_server *s, struct rawws *ws)
{
	ct_ws_open_path(s, ws, "/ws");
}

/* The next text frame as JSON (fails the test on timeout or close). */
static inline json_t *ct_ws_next(struct rawws *ws)
{
	static char buf[65536];
	json_t *j;

	assert_int_equal(rawws_read_text(ws, buf, sizeof buf, NULL, CT_TIMEOUT_MS), 1);
	j = json_loads(buf, 0, NULL);
	assert_non_null(j);
	return j;
}

/* Open a raw HTTP connection to s, failing the test if it cannot. */
static inline void ct_raw_open(struct ct_server *s, struct rawhttp *h)
{
	char err[256];

	if (rawhttp_connect(h, "127.0.0.1", s->port, CT_TIMEOUT_MS, err, sizeof err) < 0)
		fail_msg("connect: %s", err);
}

/*
 * Require that a new connection gets a valid POST of text answered 200
 * within ms milliseconds (the proof that chatd still serves).
 */
static inline void ct_require_served(struct ct_server *s, const char *text, int ms)
{
	int64_t start = mono_ns();
	char ts[64];
	long st = ct_send(s->port, "general", text, NULL, ts, sizeof ts);
	double took = ms_since(start);

	if (st != 200 || took > ms)
		fail_msg("a valid POST on a new connection got %ld after %.0f ms (want 200 within %d ms)",
			 st, took, ms);
}

static inline const char *ct_str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

#endif
