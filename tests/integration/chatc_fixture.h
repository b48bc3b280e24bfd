/*
 * chatc_fixture: what the chatc integration tests share: a scratch
 * directory, a chatd on 127.0.0.1, a chatc fed commands on stdin whose
 * events are collected as JSON, and the store read back with
 * `chatc --mode history`. Header-only (static functions) because each
 * integration program is linked on its own, and it needs jansson, which
 * tests/support/ must not. Every wait has a deadline and every process
 * started is stopped and reaped. The per-test fixture (FX_TEST) and
 * FX_RUN are cmocka's: include this after <cmocka.h>.
 */
#ifndef CHATC_FIXTURE_H
#define CHATC_FIXTURE_H

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../support/scratch.h"
#include "../support/spawn.h"
#include "util.h"

#define FX_MAX_EVENTS 4096
/* A helper a test program may not use: no unused-function error. */
#define FX_FN static __attribute__((unused))

struct fx_events {
	json_t *ev[FX_MAX_EVENTS];
	int n;
};

/* Skip the whole program (exit 77) unless bin/chatd and bin/chatc exist. */
FX_FN void fx_require_bins(void)
{
	char p[512];

	if (spawn_bin_path("chatd", p, sizeof(p)) == -1) {
		printf("ACKLAB_BIN is not set\n");
		exit(77);
	}
	if (access(p, X_OK) != 0) {
		printf("%s is not built\n", p);
		exit(77);
	}
	spawn_bin_path("chatc", p, sizeof(p));
	if (access(p, X_OK) != 0) {
		printf("%s is not built\n", p);
		exit(77);
	}
}

/*
 * Start chatd on 127.0.0.1:port (0 = any) with db in dir and extra flags
 * (NULL-terminated). Returns its port, or -1.
 */
FX_FN int fx_chatd(struct spawn *sp, const char *dir, int port, ...)
{
	char bin[512], db[600], events[600], listen[64];
	char *argv[32];
	int argc = 0;
	va_list ap;
	char *a, err[256];

	spawn_bin_path("chatd", bin, sizeof(bin));
	snprintf(db, sizeof(db), "%s/db", dir);
	snprintf(events, sizeof(events), "%s/events", dir);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	argv[argc++] = bin;
	argv[argc++] = "--listen";
	argv[argc++] = listen;
	argv[argc++] = "--db";
	argv[argc++] = db;
	argv[argc++] = "--events";
	argv[argc++] = events;
	va_start(ap, port);
	while ((a = va_arg(ap, char *)) && argc < 30)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	if (spawn_start(sp, argv, err, sizeof(err)) == -1) {
		fprintf(stderr, "chatd: %s\n", err);
		return -1;
	}
	return spawn_wait_ready_port(sp, 5000);
}

/* Start chatc --server http://127.0.0.1:port --mode mode [flags...] with a stdin pipe. */
FX_FN int fx_chatc(struct spawn *sp, int port, const char *mode, ...)
{
	char bin[512], server[64];
	char *argv[40];
	int argc = 0;
	va_list ap;
	char *a, err[256];

	spawn_bin_path("chatc", bin, sizeof(bin));
	snprintf(server, sizeof(server), "http://127.0.0.1:%d", port);
	argv[argc++] = bin;
	argv[argc++] = "--server";
	argv[argc++] = server;
	argv[argc++] = "--mode";
	argv[argc++] = (char *)mode;
	argv[argc++] = "--seed";
	argv[argc++] = "1";
	va_start(ap, mode);
	while ((a = va_arg(ap, char *)) && argc < 38)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	if (spawn_start_stdin(sp, argv, err, sizeof(err)) == -1) {
		fprintf(stderr, "chatc: %s\n", err);
		return -1;
	}
	return 0;
}

/* What each test starts from: its scratch directory and, once started, its chatd. */
struct fx_ctx {
	char dir[64];
	struct spawn chatd;
	int port;
};

/* cmocka setup: a fresh scratch directory, no chatd yet. */
FX_FN int fx_setup(void **state)
{
	struct fx_ctx *c = calloc(1, sizeof(*c));

	if (!c || scratch_make(c->dir, sizeof(c->dir), "chatc-test") == -1)
		return -1;
	*state = c;
	return 0;
}

/* cmocka teardown: stop the chatd if one was started, remove the directory. */
FX_FN int fx_teardown(void **state)
{
	struct fx_ctx *c = *state;

	if (c->chatd.pid)
		spawn_stop(&c->chatd, SIGTERM, 2000);
	scratch_remove(c->dir);
	free(c);
	return 0;
}

/* A test given a struct fx_ctx in *state. */
#define FX_TEST(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
/* main()'s result: skip the program (exit 77) without the binaries, else run tests. */
#define FX_RUN(tests) (fx_require_bins(), cmocka_run_group_tests(tests, NULL, NULL))

FX_FN void fx_send(struct spawn *sp, const char *id, const char *channel, const char *text)
{
	char line[1024];
	int n = snprintf(line, sizeof(line),
	    "{\"op\":\"send\",\"id\":\"%s\",\"channel\":\"%s\",\"text\":\"%s\"}\n", id, channel, text);

	if (write(sp->in_fd, line, (size_t)n) != n)
		fprintf(stderr, "write to chatc: %s\n", strerror(errno));
}

FX_FN void fx_close_stdin(struct spawn *sp)
{
	if (sp->in_fd >= 0) {
		close(sp->in_fd);
		sp->in_fd = -1;
	}
}

/* Read one event line into evs; returns the event, or NULL at EOF/timeout. */
FX_FN json_t *fx_next(struct spawn *sp, struct fx_events *evs, int timeout_ms)
{
	static char line[SPAWN_LINE_MAX];
	json_t *j;

	if (spawn_read_line(sp, line, sizeof(line), timeout_ms) != 1)
		return NULL;
	j = json_loads(line, 0, NULL);
	if (!j) {
		fprintf(stderr, "not JSON from chatc: %s\n", line);
		return NULL;
	}
	if (evs->n < FX_MAX_EVENTS)
		evs->ev[evs->n++] = j;
	else
		json_decref(j);
	return j;
}

/* Whether event j is named ev (and, when id is given, has this id). */
FX_FN int fx_is(json_t *j, const char *ev, const char *id)
{
	return strcmp(json_string_value(json_object_get(j, "ev")) ?: "", ev) == 0 &&
	    (!id || strcmp(json_string_value(json_object_get(j, "id")) ?: "", id) == 0);
}

/* Read events until one has ev == name (and id == id when id is given). */
FX_FN json_t *fx_wait_ev(struct spawn *sp, struct fx_events *evs, const char *name, const char *id,
    int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	json_t *j;

	while (mono_ns() < deadline) {
		j = fx_next(sp, evs, (int)((deadline - mono_ns()) / 1000000) + 1);
		if (!j)
			return NULL;
		if (fx_is(j, name, id))
			return j;
	}
	return NULL;
}

/* Read every remaining event until chatc's stdout ends; then reap it. Returns its exit status or -1. */
FX_FN int fx_drain(struct spawn *sp, struct fx_events *evs, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	int st;

	while (mono_ns() < deadline && fx_next(sp, evs, (int)((deadline - mono_ns()) / 1000000) + 1))
		;
	if (spawn_wait(sp, (int)((deadline - mono_ns()) / 1000000) + 1) == -1) {
		spawn_stop(sp, SIGKILL, 0);
		return -1;
	}
	st = sp->status;
	spawn_stop(sp, SIGKILL, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Count events named ev (and with this id, when given). */
FX_FN int fx_count(const struct fx_events *evs, const char *ev, const char *id)
{
	int i, n = 0;

	for (i = 0; i < evs->n; i++)
		if (fx_is(evs->ev[i], ev, id))
			n++;
	return n;
}

/* The first event named ev with this id, or NULL. */
FX_FN json_t *fx_find(const struct fx_events *evs, const char *ev, const char *id)
{
	int i;

	for (i = 0; i < evs->n; i++)
		if (fx_is(evs->ev[i], ev, id))
			return evs->ev[i];
	return NULL;
}

FX_FN void fx_events_free(struct fx_events *evs)
{
	int i;

	for (i = 0; i < evs->n; i++)
		json_decref(evs->ev[i]);
	evs->n = 0;
}

/*
 * Read the store back with `chatc --mode history --channel general`: count
 * rows, and rows whose text contains needle (when given). Returns rows, or -1.
 */
FX_FN int fx_history(int port, const char *needle, int *matching)
{
	struct spawn *sp = calloc(1, sizeof(*sp));
	struct fx_events rows = { .n = 0 };
	int i, n = -1, rc;

	if (!sp || fx_chatc(sp, port, "history", "--timeout-ms", "3000", NULL) == -1)
		goto done;
	fx_close_stdin(sp);
	rc = fx_drain(sp, &rows, 5000);
	if (rc != 0) {
		fprintf(stderr, "chatc --mode history exited %d\n", rc);
		goto done;
	}
	n = rows.n;
	if (matching) {
		*matching = 0;
		for (i = 0; i < rows.n; i++)
			if (needle && strstr(json_string_value(json_object_get(rows.ev[i], "text")) ?: "", needle))
				(*matching)++;
	}
done:
	fx_events_free(&rows);
	free(sp);
	return n;
}

/*
 * Two sends with one id while the first is in flight (chatd holds its first
 * reply for 400 ms): the second is refused with a duplicate_id error that
 * names its line, and is neither sent nor stored; the first goes on to
 * "sent". Once that is reported the id is free again: a third send with it
 * is sent and stored. mode is a send mode of chatc.
 */
FX_FN void fx_check_duplicate_id(struct fx_ctx *c, const char *mode)
{
	static struct spawn client;
	static struct fx_events evs;
	json_t *e;
	int match;

	c->port = fx_chatd(&c->chatd, c->dir, 0, "--failpoints", "before_reply=delay:400@1", NULL);
	assert_true(c->port > 0);
	assert_int_equal(fx_chatc(&client, c->port, mode, "--timeout-ms", "3000",
	    "--backoff-base-ms", "10", "--backoff-cap-ms", "50", NULL), 0);
	fx_send(&client, "m3", "general", "m3: first (acklab-tdup-first)");
	fx_send(&client, "m3", "general", "m3: second (acklab-tdup-second)");
	e = fx_wait_ev(&client, &evs, "error", NULL, 5000);
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "error")), "duplicate_id");
	assert_string_equal(json_string_value(json_object_get(e, "detail")),
	    "line 2: message 'm3' is still in flight");
	assert_true(json_is_integer(json_object_get(e, "t")));
	assert_non_null(fx_wait_ev(&client, &evs, "sent", "m3", 5000));
	fx_send(&client, "m3", "general", "m3: third (acklab-tdup-third)");
	fx_close_stdin(&client);
	assert_int_equal(fx_drain(&client, &evs, 5000), 0);
	assert_int_equal(fx_count(&evs, "error", NULL), 1);
	assert_int_equal(fx_count(&evs, "sending", "m3"), 2);
	assert_int_equal(fx_count(&evs, "sent", "m3"), 2);
	assert_int_equal(fx_count(&evs, "failed", NULL), 0);
	assert_int_equal(fx_history(c->port, "acklab-tdup-", &match), 2);
	assert_int_equal(match, 2);
	assert_int_equal(fx_history(c->port, "acklab-tdup-second", &match), 2);
	assert_int_equal(match, 0);
	fx_events_free(&evs);
}

#endif
