/*
 * chatd_listen: --listen failures end chatd at startup, before its ready
 * line, with exit 1 and a message that names the address and the cause.
 * Without that, an address this host does not have made chatd print ready
 * and then retry the bind every 30 s forever, and a harness waiting on the
 * ready line would believe a server that never listens.
 *
 * chatd runs under /bin/sh with stderr folded into stdout, so the test
 * reads the message on the same pipe as the (absent) ready line. And the
 * good case for IPv6: the ready line says "[::1]:PORT", which a client can
 * use as given (it said "::1:PORT" before).
 */
#include "chatd_test.h"

#define LISTEN_DEADLINE_MS 2000

static struct ct_server srv;

/* Milliseconds left of LISTEN_DEADLINE_MS since start, at least 1. */
static int left_ms(int64_t start)
{
	int left = LISTEN_DEADLINE_MS - (int)ms_since(start);

	return left > 0 ? left : 1;
}

/*
 * Run chatd --listen listen --db s->db, and require: no ready line, exit 1
 * within 2 s, and a line containing every one of want (NULL-terminated).
 */
static void expect_startup_failure(struct ct_server *s, const char *listen, ...)
{
	char path[4096], err[256], line[1024], seen[4096] = "";
	char *argv[] = { "/bin/sh", "-c", "exec \"$0\" --listen \"$1\" --db \"$2\" 2>&1",
			 path, (char *)listen, s->db, NULL };
	int64_t start = mono_ns();
	const char *w;
	va_list ap;
	int r;

	assert_int_equal(spawn_bin_path("chatd", path, sizeof path), 0);
	if (spawn_start(&s->sp, argv, err, sizeof err) < 0)
		fail_msg("start chatd: %s", err);
	while ((r = spawn_read_line(&s->sp, line, sizeof line, left_ms(start))) == 1) {
		if (strstr(line, "\"ev\":\"ready\""))
			fail_msg("--listen %s: chatd printed its ready line: %s", listen, line);
		if (strlen(seen) + strlen(line) + 2 < sizeof seen) {
			strcat(seen, line);
			strcat(seen, "\n");
		}
	}
	if (r < 0)
		fail_msg("--listen %s: chatd still running after 2 s; said: %s", listen, seen);
	if (spawn_wait(&s->sp, left_ms(start)) < 0)
		fail_msg("--listen %s: chatd closed its output but did not exit within 2 s", listen);
	if (!WIFEXITED(s->sp.status) || WEXITSTATUS(s->sp.status) != 1)
		fail_msg("--listen %s: wait status 0x%x, want exit 1", listen, s->sp.status);
	va_start(ap, listen);
	while ((w = va_arg(ap, const char *)))
		if (!strstr(seen, w))
			fail_msg("--listen %s: message lacks '%s'; said: %s", listen, w, seen);
	va_end(ap);
}

/* 198.18.0.0/15 is for benchmarking: no interface here has 198.18.0.99. */
static void test_address_not_on_host_fails_at_startup(void **state)
{
	expect_startup_failure(*state, "198.18.0.99:18080",
			       "chatd: --listen 198.18.0.99:18080: cannot bind: ",
			       "Cannot assign requested address", "(is that address on this host?)",
			       NULL);
}

static void test_unknown_name_fails_at_startup(void **state)
{
	expect_startup_failure(*state, "no-such-if0:0",
			       "--listen no-such-if0:0: 'no-such-if0' is neither an IP address nor an interface",
			       NULL);
}

/* The other side: a port another chatd holds is refused, and that chatd keeps serving. */
static void test_port_in_use_fails_at_startup(void **state)
{
	struct ct_server *s = *state;
	struct ct_server other;
	char listen[64], ts[64];

	ct_start(s, NULL);
	ct_init(&other);
	snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);
	expect_startup_failure(&other, listen, "cannot bind: Address already in use", NULL);
	ct_cleanup(&other);
	assert_int_equal(ct_send(s->port, "general", "still here", NULL, ts, sizeof ts), 200);
	ct_stop_clean(s);
}

/* An IPv6 address: the ready line puts it in brackets, and chatd serves there. */
static void test_ipv6_ready_line_has_brackets(void **state)
{
	struct ct_server *s = *state;
	char path[4096], err[256], line[1024], wire[256];
	char *argv[] = { path, "--listen", "[::1]:0", "--db", s->db, NULL };
	struct rawhttp *h = malloc(sizeof *h);
	struct rawhttp_resp *r = malloc(sizeof *r);
	const char *p;
	int port;

	assert_non_null(h);
	assert_non_null(r);
	assert_int_equal(spawn_bin_path("chatd", path, sizeof path), 0);
	if (spawn_start(&s->sp, argv, err, sizeof err) < 0)
		fail_msg("start chatd: %s", err);
	assert_int_equal(spawn_wait_line(&s->sp, "\"ready\"", line, sizeof line, CT_TIMEOUT_MS), 1);
	p = strstr(line, "\"listen\":\"[::1]:");
	if (!p)
		fail_msg("ready line without [::1]:PORT: %s", line);
	port = atoi(p + strlen("\"listen\":\"[::1]:"));
	assert_true(port > 0);
	if (rawhttp_connect(h, "::1", port, CT_TIMEOUT_MS, err, sizeof err) < 0)
		fail_msg("connect [::1]:%d: %s", port, err);
	rawhttp_format_post(wire, sizeof wire, "/api/chat.postMessage",
			    "{\"channel\":\"general\",\"text\":\"over ipv6\"}");
	assert_int_equal(rawhttp_send(h, wire, strlen(wire)), 0);
	assert_int_equal(rawhttp_read(h, r, CT_TIMEOUT_MS), 1);
	assert_int_equal(r->status, 200);
	rawhttp_close(h);
	free(h);
	free(r);
	ct_stop_clean(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CT_TEST(test_address_not_on_host_fails_at_startup, &srv),
		CT_TEST(test_unknown_name_fails_at_startup, &srv),
		CT_TEST(test_port_in_use_fails_at_startup, &srv),
		CT_TEST(test_ipv6_ready_line_has_brackets, &srv),
	};

	return CT_RUN(tests, NULL, NULL);
}
