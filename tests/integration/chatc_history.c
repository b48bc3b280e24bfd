/*
 * chatc_history: the store read-back (chatc --mode history), which is what
 * acklab's checker believes the store holds, so it must neither lose nor
 * merge rows.
 *
 * Against chatd: seven messages read back with --page-limit 1, 2, 3, 7 and
 * 200 come out all seven, once each, in store order, and chatc asked for
 * that many per page; a channel chatd does not have reads back empty with
 * exit 0 (chatd answers 404 channel_not_found), while a server that
 * cannot be reached is still an error. Against a scripted server
 * (chatc_fakechat.h): chatc follows an opaque next_cursor with cursor=,
 * prints a row the server repeats across a page boundary twice (so the
 * checker sees DUP), and gives up with exit 1 on a cursor that never moves
 * or a 500.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "chatc_fixture.h"
#include "chatc_fakechat.h"

/*
 * chatc --mode history against port with --channel channel and extra flags
 * (NULL-terminated); rows collects what it printed. Returns its exit status.
 */
static int read_back(int port, const char *channel, struct fx_events *rows, ...)
{
	static struct spawn sp;
	char *argv[10] = { NULL };
	int argc = 0;
	va_list ap;
	char *a;

	argv[argc++] = "--channel";
	argv[argc++] = (char *)channel;
	argv[argc++] = "--timeout-ms";
	argv[argc++] = "3000";
	va_start(ap, rows);
	while ((a = va_arg(ap, char *)) && argc < 8)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	if (fx_chatc(&sp, port, "history", argv[0], argv[1], argv[2], argv[3], argv[4], argv[5],
	    argv[6], argv[7], NULL) == -1)
		return -1;
	fx_close_stdin(&sp);
	return fx_drain(&sp, rows, 10000);
}

/* The text of row i, or "". */
static const char *row_text(const struct fx_events *rows, int i)
{
	return json_string_value(json_object_get(rows->ev[i], "text")) ?: "";
}

static void test_pages_through_chatd(void **state)
{
	struct fx_ctx *c = *state;
	static struct spawn sender;
	static struct fx_events sevs, rows;
	static const char *const limits[] = { "1", "2", "3", "7", "200" };
	char text[64], token[32];
	size_t k;
	int i;

	c->port = fx_chatd(&c->chatd, c->dir, 0, NULL);
	assert_true(c->port > 0);
	assert_int_equal(fx_chatc(&sender, c->port, "http", "--timeout-ms", "3000", NULL), 0);
	for (i = 1; i <= 7; i++) {
		char id[8];

		snprintf(id, sizeof(id), "m%d", i);
		snprintf(text, sizeof(text), "m%d: paged (acklab-tpage-m%d)", i, i);
		fx_send(&sender, id, "general", text);
		assert_non_null(fx_wait_ev(&sender, &sevs, "sent", id, 5000));
	}
	fx_close_stdin(&sender);
	assert_int_equal(fx_drain(&sender, &sevs, 5000), 0);
	fx_events_free(&sevs);

	for (k = 0; k < ARRAY_LEN(limits); k++) {
		printf("--page-limit %s\n", limits[k]);
		assert_int_equal(read_back(c->port, "general", &rows, "--page-limit", limits[k], NULL), 0);
		assert_int_equal(rows.n, 7);
		for (i = 0; i < 7; i++) {
			snprintf(token, sizeof(token), "(acklab-tpage-m%d)", i + 1);
			assert_non_null(strstr(row_text(&rows, i), token));
			if (i > 0)
				assert_true(strcmp(json_string_value(json_object_get(rows.ev[i - 1], "ts")),
				    json_string_value(json_object_get(rows.ev[i], "ts"))) < 0);
		}
		fx_events_free(&rows);
	}
}

static void test_unknown_channel_reads_back_empty(void **state)
{
	struct fx_ctx *c = *state;
	static struct spawn sender;
	static struct fx_events evs, rows;
	json_t *failed;
	int dead_port;

	c->port = fx_chatd(&c->chatd, c->dir, 0, NULL);
	assert_true(c->port > 0);
	/* what chatd says to a send there: 404 channel_not_found, once */
	assert_int_equal(fx_chatc(&sender, c->port, "http", "--timeout-ms", "3000", NULL), 0);
	fx_send(&sender, "m2", "nowhere", "m2: into the void (acklab-tvoid-m2)");
	fx_close_stdin(&sender);
	assert_int_equal(fx_drain(&sender, &evs, 5000), 0);
	failed = fx_find(&evs, "failed", "m2");
	assert_non_null(failed);
	assert_string_equal(json_string_value(json_object_get(failed, "error")), "http 404 channel_not_found");
	assert_int_equal(json_integer_value(json_object_get(failed, "attempts")), 1);
	fx_events_free(&evs);

	assert_int_equal(read_back(c->port, "nowhere", &rows, "--page-limit", "2", NULL), 0);
	assert_int_equal(rows.n, 0);
	assert_int_equal(read_back(c->port, "random", &rows, NULL), 0);
	assert_int_equal(rows.n, 0);
	/* a server that is not there is not an empty channel */
	dead_port = c->port;
	spawn_stop(&c->chatd, SIGTERM, 2000);
	c->chatd.pid = 0;
	assert_int_equal(read_back(dead_port, "nowhere", &rows, NULL), 1);
	assert_int_equal(rows.n, 0);
}

#define FAKE_MSG(ts, tok) "{\"type\":\"message\",\"ts\":\"" ts "\",\"channel\":\"general\",\"text\":\"" tok "\"}"

static void test_follows_an_opaque_cursor(void **state)
{
	struct fx_ctx *c = *state;
	static const struct fake_route routes[] = {
		{ "cursor=bm9wZQ", 200, "{\"ok\":true,\"messages\":[" FAKE_MSG("5.000005", "r5") "],"
		    "\"has_more\":false,\"response_metadata\":{\"next_cursor\":\"\"}}" },
		{ "cursor=c3RpbGw", 200, "{\"ok\":true,\"messages\":[" FAKE_MSG("3.000003", "r3") ","
		    FAKE_MSG("4.000004", "r4") "],\"has_more\":true,\"response_metadata\":{\"next_cursor\":\"bm9wZQ\"}}" },
		{ "conversations.history", 200, "{\"ok\":true,\"messages\":[" FAKE_MSG("1.000001", "r1") ","
		    FAKE_MSG("2.000002", "r2") "],\"has_more\":true,\"response_metadata\":{\"next_cursor\":\"c3RpbGw\"}}" },
		{ NULL, 0, NULL },
	};
	const struct fake_script sc = { NULL, routes };
	static struct fake_chat fake;
	static struct fx_events rows;
	int i;

	assert_int_equal(fake_chat_start(&fake, c->dir, &sc), 0);
	assert_int_equal(read_back(fake.port, "general", &rows, "--page-limit", "2", NULL), 0);
	assert_int_equal(rows.n, 5);
	for (i = 0; i < 5; i++) {
		char want[8];

		snprintf(want, sizeof(want), "r%d", i + 1);
		assert_string_equal(row_text(&rows, i), want);
	}
	assert_int_equal(fake_chat_requests(&fake, "conversations.history"), 3);
	assert_int_equal(fake_chat_requests(&fake, "limit=2"), 3);
	assert_int_equal(fake_chat_requests(&fake, "&cursor=c3RpbGw"), 1);
	assert_int_equal(fake_chat_requests(&fake, "&cursor=bm9wZQ"), 1);
	/* the cursor is the server's: chatc does not turn it into a ts */
	assert_int_equal(fake_chat_requests(&fake, "oldest="), 0);
	fake_chat_stop(&fake);
	fx_events_free(&rows);
}

static void test_shows_what_the_server_repeats(void **state)
{
	struct fx_ctx *c = *state;
	/* the second page starts at the boundary row again: the store read-back must show it twice */
	static const struct fake_route routes[] = {
		{ "cursor=2", 200, "{\"ok\":true,\"messages\":[" FAKE_MSG("2.000002", "r2") ","
		    FAKE_MSG("3.000003", "r3") "],\"has_more\":false,\"response_metadata\":{\"next_cursor\":\"\"}}" },
		{ "conversations.history", 200, "{\"ok\":true,\"messages\":[" FAKE_MSG("1.000001", "r1") ","
		    FAKE_MSG("2.000002", "r2") "],\"has_more\":true,\"response_metadata\":{\"next_cursor\":\"2\"}}" },
		{ NULL, 0, NULL },
	};
	const struct fake_script sc = { NULL, routes };
	static struct fake_chat fake;
	static struct fx_events rows;

	assert_int_equal(fake_chat_start(&fake, c->dir, &sc), 0);
	assert_int_equal(read_back(fake.port, "general", &rows, "--page-limit", "2", NULL), 0);
	assert_int_equal(rows.n, 4);
	assert_string_equal(row_text(&rows, 0), "r1");
	assert_string_equal(row_text(&rows, 1), "r2");
	assert_string_equal(row_text(&rows, 2), "r2");
	assert_string_equal(row_text(&rows, 3), "r3");
	fake_chat_stop(&fake);
	fx_events_free(&rows);
}

static void test_a_cursor_that_never_moves_fails(void **state)
{
	struct fx_ctx *c = *state;
	static const struct fake_route routes[] = {
		{ "conversations.history", 200, "{\"ok\":true,\"messages\":[" FAKE_MSG("1.000001", "r1") "],"
		    "\"has_more\":true,\"response_metadata\":{\"next_cursor\":\"again\"}}" },
		{ NULL, 0, NULL },
	};
	static const struct fake_route broken[] = {
		{ "conversations.history", 500, "{\"ok\":false,\"error\":\"store_failed\"}" },
		{ NULL, 0, NULL },
	};
	const struct fake_script sc = { NULL, routes }, sc_broken = { NULL, broken };
	static struct fake_chat fake;
	static struct fx_events rows;

	assert_int_equal(fake_chat_start(&fake, c->dir, &sc), 0);
	assert_int_equal(read_back(fake.port, "general", &rows, "--page-limit", "1", NULL), 1);
	/* two pages: the first, and the one whose cursor did not move */
	assert_int_equal(fake_chat_requests(&fake, "conversations.history"), 2);
	fake_chat_stop(&fake);
	fx_events_free(&rows);

	unlink(fake.log);
	assert_int_equal(fake_chat_start(&fake, c->dir, &sc_broken), 0);
	assert_int_equal(read_back(fake.port, "general", &rows, NULL), 1);
	assert_int_equal(rows.n, 0);
	fake_chat_stop(&fake);
	fx_events_free(&rows);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		FX_TEST(test_pages_through_chatd),
		FX_TEST(test_unknown_channel_reads_back_empty),
		FX_TEST(test_follows_an_opaque_cursor),
		FX_TEST(test_shows_what_the_server_repeats),
		FX_TEST(test_a_cursor_that_never_moves_fails),
	};

	return FX_RUN(tests);
}
