/*
 * chatc_protocol: the stdin command parser's verdicts and exact error
 * messages, the refusal of a send whose id is still in flight (as the event
 * line a send mode prints), the line splitter, and timestamp ordering.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../fixtures/chatc/protocol.h"

static void expect_error(const char *line, long lineno, const char *want)
{
	struct proto_cmd cmd;
	char err[256] = "";

	assert_int_equal(proto_parse(line, strlen(line), lineno, &cmd, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	assert_null(cmd.id);
}

static void test_parse_send(void **state)
{
	const char *l = "{\"op\":\"send\",\"id\":\"m3\",\"channel\":\"general\",\"text\":\"m3: hi (acklab-5f2c-m3)\",\"extra\":1}";
	struct proto_cmd cmd;
	char err[256];

	assert_int_equal(proto_parse(l, strlen(l), 1, &cmd, err, sizeof(err)), 1);
	assert_string_equal(cmd.id, "m3");
	assert_string_equal(cmd.channel, "general");
	assert_string_equal(cmd.text, "m3: hi (acklab-5f2c-m3)");
	proto_cmd_clear(&cmd);
	assert_null(cmd.id);
}

static void test_parse_blank(void **state)
{
	struct proto_cmd cmd;
	char err[64];

	assert_int_equal(proto_parse(" \t\r", 3, 4, &cmd, err, sizeof(err)), 0);
	assert_int_equal(proto_parse("", 0, 4, &cmd, err, sizeof(err)), 0);
}

static void test_parse_errors(void **state)
{
	expect_error("{\"op\":\"send\",\"channel\":\"general\",\"text\":\"x\"}", 2, "line 2: missing \"id\"");
	expect_error("{\"op\":\"send\",\"id\":\"m1\",\"text\":\"x\"}", 3, "line 3: missing \"channel\"");
	expect_error("{\"op\":\"send\",\"id\":\"m1\",\"channel\":\"general\"}", 4, "line 4: missing \"text\"");
	expect_error("{\"op\":\"send\",\"id\":7,\"channel\":\"general\",\"text\":\"x\"}", 5, "line 5: \"id\" must be a string");
	expect_error("{\"op\":\"send\",\"id\":\"\",\"channel\":\"general\",\"text\":\"x\"}", 6, "line 6: \"id\" is empty");
	expect_error("{\"id\":\"m1\"}", 7, "line 7: missing \"op\"");
	expect_error("{\"op\":3}", 8, "line 8: \"op\" must be a string");
	expect_error("{\"op\":\"edit\",\"id\":\"m1\"}", 9, "line 9: unknown op \"edit\" (expected \"send\")");
	expect_error("[1,2]", 10, "line 10: not a JSON object");
	expect_error("garbage", 11, "line 11: not JSON: '[' or '{' expected near 'garbage' (column 7)");
	expect_error("{\"op\":\"send\",\"op\":\"send\"}", 12,
	    "line 12: not JSON: duplicate object key near '\"op\"' (column 17)");
}

/* proto_in_flight_fn over a NULL-terminated list of ids. */
static int ids_in_flight(void *arg, const char *id)
{
	const char **ids = arg;

	for (; *ids; ids++)
		if (strcmp(*ids, id) == 0)
			return 1;
	return 0;
}

static void test_check_id(void **state)
{
	const char *flying[] = { "m1", "m3", NULL };
	char m2[] = "m2", m3[] = "m3", err[256] = "";
	struct proto_cmd cmd = { .id = m3 };

	assert_int_equal(proto_check_id(&cmd, 7, ids_in_flight, flying, err, sizeof(err)), -1);
	assert_string_equal(err, "line 7: message 'm3' is still in flight");
	cmd.id = m2;
	assert_int_equal(proto_check_id(&cmd, 8, ids_in_flight, flying, err, sizeof(err)), 0);
	cmd.id = m3;
	assert_int_equal(proto_check_id(&cmd, 9, NULL, NULL, err, sizeof(err)), 0);
}

/*
 * Run proto_read_cmd() on line with stdout sent to a file; returns its
 * result, the id it filled (or "") in id, and what it printed in out.
 */
static int read_cmd_captured(const char *line, long lineno, const char **flying,
    char *id, size_t idlen, char *out, size_t outlen)
{
	struct proto_cmd cmd;
	FILE *f = tmpfile();
	int saved, r;
	size_t n;

	assert_non_null(f);
	fflush(stdout);
	saved = dup(1);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(f), 1) == 1);
	r = proto_read_cmd(line, strlen(line), lineno, ids_in_flight, flying, &cmd);
	fflush(stdout);
	assert_true(dup2(saved, 1) == 1);
	close(saved);
	rewind(f);
	n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	fclose(f);
	snprintf(id, idlen, "%s", cmd.id ? cmd.id : "");
	proto_cmd_clear(&cmd);
	return r;
}

static void test_read_cmd_refuses_id_in_flight(void **state)
{
	const char *flying[] = { "m3", NULL };
	const char *l = "{\"op\":\"send\",\"id\":\"m3\",\"channel\":\"general\",\"text\":\"again\"}";
	const char *want = ",\"error\":\"duplicate_id\",\"detail\":\"line 4: message 'm3' is still in flight\"}\n";
	char id[32], out[512];

	assert_int_equal(read_cmd_captured(l, 4, flying, id, sizeof(id), out, sizeof(out)), 0);
	assert_string_equal(id, "");
	/* {"ev":"error","t":<ns>,"error":"duplicate_id","detail":"..."}, one line */
	assert_memory_equal(out, "{\"ev\":\"error\",\"t\":", 16);
	assert_true(strlen(out) > strlen(want));
	assert_string_equal(out + strlen(out) - strlen(want), want);
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);

	/* Another id goes through, and nothing is printed. */
	flying[0] = "m1";
	assert_int_equal(read_cmd_captured(l, 5, flying, id, sizeof(id), out, sizeof(out)), 1);
	assert_string_equal(id, "m3");
	assert_string_equal(out, "");
}

struct seen {
	char lines[4][32];
	long linenos[4];
	int n;
};

static void collect(void *arg, const char *line, size_t len, long lineno)
{
	struct seen *s = arg;

	assert_true(s->n < 4);
	memcpy(s->lines[s->n], line, len);
	s->lines[s->n][len] = '\0';
	s->linenos[s->n++] = lineno;
}

static void test_lines(void **state)
{
	struct proto_lines lb = { 0 };
	struct seen s = { 0 };

	assert_int_equal(proto_lines_feed(&lb, "ab", 2, collect, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(proto_lines_feed(&lb, "c\n\nde\nf", 7, collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.lines[0], "abc");
	assert_string_equal(s.lines[1], "");
	assert_string_equal(s.lines[2], "de");
	assert_int_equal(s.linenos[2], 3);
	proto_lines_finish(&lb, collect, &s);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.lines[3], "f");
	assert_int_equal(s.linenos[3], 4);
	proto_lines_free(&lb);
}

static void test_ts_cmp(void **state)
{
	assert_true(proto_ts_cmp("9.000001", "10.000000") < 0);
	assert_true(proto_ts_cmp("1717070400.000123", "1717070400.000122") > 0);
	assert_true(proto_ts_cmp("1717070400.1", "1717070400.100000") == 0);
	assert_true(proto_ts_cmp(NULL, "0.000001") < 0);
	assert_true(proto_ts_cmp("", NULL) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_send),
		cmocka_unit_test(test_parse_blank),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_check_id),
		cmocka_unit_test(test_read_cmd_refuses_id_in_flight),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_ts_cmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
