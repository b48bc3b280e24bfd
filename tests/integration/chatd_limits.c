/*
 * chatd_limits: chatd's memory and descriptors stay bounded under clients
 * that do not play along.
 *
 * A subscriber that never reads is cut off once its queue passes
 * --ws-queue-bytes (a subscriber_dropped event with close code 1008, then
 * the connection ends), while a subscriber that reads gets every push, and
 * chatd's VmRSS stays flat. Before, each message cost the stuck subscriber
 * about 4 KB, up to 100,000 of them.
 *
 * At RLIMIT_NOFILE, chatd answers new connections 503 server_busy at once,
 * keeps serving the connection it already has, and uses almost no CPU.
 * Before, it spun at ~75% CPU on accept() failing with EMFILE and answered
 * nothing new.
 *
 * Under the sanitizer build freed memory would sit in ASan's quarantine and
 * look like growth, so chatd runs with the quarantine off here.
 */
#include "chatd_test.h"

#include <fcntl.h>

#define SLOW_MESSAGES   2500
#define SLOW_QUEUE      "65536"
#define RSS_GROWTH_KB   3072
#define FD_LIMIT        64
#define FD_CONNECTIONS  100
#define CPU_MAX_PERCENT 20

static struct ct_server srv;

/* VmRSS of pid in KiB, or -1. */
static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* utime + stime of pid in clock ticks, or -1. */
static long cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

/* ASAN_OPTIONS as inherited, with the quarantine off. */
static const char *asan_no_quarantine(void)
{
	static char env[1024];
	const char *cur = getenv("ASAN_OPTIONS");

	snprintf(env, sizeof env, "ASAN_OPTIONS=%s%squarantine_size_mb=0", cur ? cur : "",
		 cur && *cur ? ":" : "");
	return env;
}

static void test_stuck_subscriber_is_dropped_and_memory_stays_flat(void **state)
{
	const char *env[] = { asan_no_quarantine(), NULL };
	struct spawn_opts opts = { 0, env };
	static char text[3901], buf[65536];
	struct rawws stuck, reader;
	long rss0 = -1, rss1, rss_max = 0;
	CURL *h = curl_easy_init();
	char err[256], body[4096], num[8];
	json_t *f;
	int i, r, code = 0;

	ct_start_opts(&srv, &opts, "--ws-queue-bytes", SLOW_QUEUE, NULL);
	if (rawws_connect_rcvbuf(&stuck, "127.0.0.1", srv.port, "/ws", NULL, 4096, CT_TIMEOUT_MS,
				 err, sizeof err) < 0)
		fail_msg("stuck subscriber: %s", err);
	ct_ws_open(&srv, &reader);
	memset(text, 'x', sizeof text - 1);
	for (i = 0; i < SLOW_MESSAGES; i++) {
		snprintf(body, sizeof body, "{\"channel\":\"general\",\"text\":\"%04d%s\"}", i, text + 4);
		if (ct_http(h, srv.port, "/api/chat.postMessage", body, strlen(body), NULL) != 200)
			fail_msg("POST %d was not answered 200", i);
		f = ct_ws_next(&reader); /* the reader keeps up: every push arrives */
		snprintf(num, sizeof num, "%04d", i);
		assert_int_equal(strncmp(ct_str(f, "text"), num, 4), 0);
		json_decref(f);
		if (i == 1000)
			rss0 = rss_kb(srv.sp.pid);
		if (i > 1000 && (rss1 = rss_kb(srv.sp.pid)) > rss_max)
			rss_max = rss1;
	}
	curl_easy_cleanup(h);
	printf("chatd VmRSS after 1000 messages %ld kB, at most %ld kB over %d messages\n",
	       rss0, rss_max, SLOW_MESSAGES);
	if (rss0 <= 0 || rss_max - rss0 > RSS_GROWTH_KB)
		fail_msg("VmRSS grew from %ld kB to %ld kB with a stuck subscriber", rss0, rss_max);

	/* The event says so, and the stuck connection ends: what was sent, then close or EOF. */
	FILE *ev = fopen(srv.events, "r");
	int dropped = 0;
	assert_non_null(ev);
	while (fgets(buf, sizeof buf, ev))
		if (strstr(buf, "\"subscriber_dropped\"") && strstr(buf, "\"close_code\":1008"))
			dropped++;
	fclose(ev);
	assert_int_equal(dropped, 1);
	while ((r = rawws_read_text(&stuck, buf, sizeof buf, &code, CT_TIMEOUT_MS)) == 1)
		;
	assert_int_equal(r, 0);
	assert_true(code == 0 || code == 1008);
	rawws_close(&stuck);
	rawws_close(&reader);
	ct_stop_clean(&srv);
}

static void test_fd_limit_refuses_new_and_serves_old(void **state)
{
	struct spawn_opts opts = { FD_LIMIT, NULL };
	static struct rawhttp conns[FD_CONNECTIONS];
	struct rawhttp *old = malloc(sizeof *old), *fresh = malloc(sizeof *fresh);
	struct rawhttp_resp *r = malloc(sizeof *r);
	char wire[512], err[256];
	int64_t start;
	long t0, t1;
	int i, n = 0, served;

	assert_non_null(old);
	assert_non_null(fresh);
	assert_non_null(r);
	ct_start_opts(&srv, &opts, NULL);
	ct_raw_open(&srv, old);
	rawhttp_format_post(wire, sizeof wire, "/api/chat.postMessage",
			    "{\"channel\":\"general\",\"text\":\"from the old connection\"}");
	assert_int_equal(rawhttp_send(old, wire, strlen(wire)), 0);
	assert_int_equal(rawhttp_read(old, r, CT_TIMEOUT_MS), 1);
	assert_int_equal(r->status, 200);

	/* More connections than descriptors: the late ones are refused. */
	for (i = 0; i < FD_CONNECTIONS; i++)
		if (rawhttp_connect(&conns[i], "127.0.0.1", srv.port, CT_TIMEOUT_MS, err, sizeof err) == 0)
			n++;
	assert_int_equal(n, FD_CONNECTIONS);

	/* A quiet second at the limit: chatd must not spin. */
	t0 = cpu_ticks(srv.sp.pid);
	assert_int_equal(rawhttp_wait_closed(old, 1000), 0);
	t1 = cpu_ticks(srv.sp.pid);
	printf("chatd CPU at the fd limit: %ld ticks of %ld per second\n", t1 - t0, sysconf(_SC_CLK_TCK));
	if (t0 < 0 || (t1 - t0) * 100 > CPU_MAX_PERCENT * sysconf(_SC_CLK_TCK))
		fail_msg("chatd used %ld clock ticks in 1 s at the fd limit", t1 - t0);

	/* The old connection is served, a new one refused at once. */
	start = mono_ns();
	assert_int_equal(rawhttp_send(old, wire, strlen(wire)), 0);
	assert_int_equal(rawhttp_read(old, r, 1000), 1);
	assert_int_equal(r->status, 200);
	ct_raw_open(&srv, fresh);
	assert_int_equal(rawhttp_send(fresh, wire, strlen(wire)), 0);
	assert_int_equal(rawhttp_read(fresh, r, 1000), 1);
	assert_int_equal(r->status, 503);
	assert_non_null(strstr(r->body, "\"server_busy\""));
	assert_true(ms_since(start) < 1000);
	rawhttp_close(fresh);

	/* Descriptors freed: new connections are served again. */
	for (i = 0; i < FD_CONNECTIONS; i++)
		rawhttp_close(&conns[i]);
	start = mono_ns();
	for (served = 0; !served && ms_since(start) < 2000;) {
		ct_raw_open(&srv, fresh);
		assert_int_equal(rawhttp_send(fresh, wire, strlen(wire)), 0);
		served = rawhttp_read(fresh, r, 1000) == 1 && r->status == 200;
		rawhttp_close(fresh);
	}
	assert_true(served);
	rawhttp_close(old);
	free(old);
	free(fresh);
	free(r);
	ct_stop_clean(&srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CT_TEST(test_stuck_subscriber_is_dropped_and_memory_stays_flat, &srv),
		CT_TEST(test_fd_limit_refuses_new_and_serves_old, &srv),
	};

	return CT_RUN(tests, NULL, NULL);
}
