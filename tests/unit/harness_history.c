/*
 * Unit tests for history.c: three role streams arriving interleaved and out
 * of order come out sorted by time, stable for equal times; lines that are
 * not JSON objects are kept as text events; events without a usable "t" get
 * the read time; write -> load gives the same entries back, and the file has
 * "t" and "t_ms" first with three decimals; a link planted where the file
 * goes is refused and its target left as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../harness/history.h"

static void test_merge_sorted_and_stable(void **state)
{
	struct history *h = history_new();
	/* Arrival order as the runner would see it: streams skewed against each other. */
	static const struct { const char *role, *line; } in[] = {
		{ "client", "{\"ev\":\"sending\",\"t\":1000,\"id\":\"m1\"}" },
		{ "client", "{\"ev\":\"sent\",\"t\":4000,\"id\":\"m1\"}" },
		{ "server", "{\"ev\":\"recv\",\"t\":2000}" },
		{ "recipient1", "{\"ev\":\"received\",\"t\":3500,\"seq\":1}" },
		{ "server", "{\"ev\":\"persisted\",\"t\":3000}" },
		{ "server", "{\"ev\":\"fanout\",\"t\":3500,\"seq\":2}" },
		{ "recipient1", "{\"ev\":\"received\",\"t\":3500,\"seq\":3}" },
		{ "client", "{\"ev\":\"sending\",\"t\":500,\"id\":\"m0\"}" },
	};
	static const char *want[] = { "sending", "sending", "recv", "persisted", "received",
				      "fanout", "received", "sent" };
	int64_t prev = 0;

	(void)state;
	assert_non_null(h);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		assert_non_null(history_add_line(h, in[i].role, in[i].line, 99999));
	assert_int_equal(history_len(h), 8);
	for (size_t i = 0; i < history_len(h); i++) {
		json_t *e = history_at(h, i);
		int64_t t = json_integer_value(json_object_get(e, "t"));

		assert_true(t >= prev);
		prev = t;
		assert_string_equal(json_string_value(json_object_get(e, "ev")), want[i]);
	}
	/* Equal times keep arrival order. */
	assert_int_equal(json_integer_value(json_object_get(history_at(h, 4), "seq")), 1);
	assert_int_equal(json_integer_value(json_object_get(history_at(h, 5), "seq")), 2);
	assert_int_equal(json_integer_value(json_object_get(history_at(h, 6), "seq")), 3);
	assert_string_equal(json_string_value(json_object_get(history_at(h, 4), "role")), "recipient1");
	assert_string_equal(json_string_value(json_object_get(history_at(h, 5), "role")), "server");
	history_free(h);
}

static void test_text_and_read_time(void **state)
{
	struct history *h = history_new();
	json_t *e;

	(void)state;
	e = history_add_line(h, "server", "listening on 198.18.2.2:8080", 5000);
	assert_string_equal(json_string_value(json_object_get(e, "ev")), "text");
	assert_string_equal(json_string_value(json_object_get(e, "text")), "listening on 198.18.2.2:8080");
	assert_int_equal(json_integer_value(json_object_get(e, "t")), 5000);
	/* Not an object, broken JSON, a non-integer t, a lying role, invalid UTF-8. */
	e = history_add_line(h, "server", "[1,2,3]", 6000);
	assert_string_equal(json_string_value(json_object_get(e, "text")), "[1,2,3]");
	e = history_add_line(h, "server", "{\"ev\":\"recv\"", 7000);
	assert_string_equal(json_string_value(json_object_get(e, "ev")), "text");
	e = history_add_line(h, "client", "{\"ev\":\"sent\",\"t\":\"soon\",\"role\":\"server\"}", 8000);
	assert_string_equal(json_string_value(json_object_get(e, "ev")), "sent");
	assert_int_equal(json_integer_value(json_object_get(e, "t")), 8000);
	assert_string_equal(json_string_value(json_object_get(e, "role")), "client");
	e = history_add_line(h, "client", "caf\xe9 \xff", 9000);
	assert_string_equal(json_string_value(json_object_get(e, "text")), "caf? ?");
	e = history_add(h, NULL, json_pack("{s:s}", "ev", "fault_applied"), 5500);
	assert_string_equal(json_string_value(json_object_get(e, "role")), "acklab");
	assert_int_equal(history_len(h), 6);
	assert_string_equal(json_string_value(json_object_get(history_at(h, 1), "ev")), "fault_applied");
	assert_null(history_add(h, "x", json_array(), 1));
	assert_null(history_add(h, "x", NULL, 1));
	history_free(h);
	history_free(NULL);
}

static void test_round_trip(void **state)
{
	char dir_path[] = "/tmp/acklab-history-XXXXXX", path[64];
	char err[256] = "";
	struct history *h = history_new(), *back;
	struct outdir dir;
	FILE *f;
	char line[512];

	(void)state;
	assert_non_null(mkdtemp(dir_path));
	assert_int_equal(outdir_open(&dir, dir_path, false, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/history.jsonl", dir_path);
	history_add_line(h, "client", "{\"ev\":\"sending\",\"t\":1001234567,\"id\":\"m1\",\"attempt\":1}", 0);
	history_add_line(h, "server", "{\"ev\":\"persisted\",\"t\":1002000000,\"text\":\"m1: \\\"hi\\\" \\u00e9\"}", 0);
	history_add_line(h, "server", "plain words", 1003500001);
	history_add(h, "acklab", json_object(), 1000000000);
	assert_int_equal(history_write_jsonl(h, &dir, "history.jsonl", 1000000000, err, sizeof(err)), 0);

	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "{\"t\":1000000000,\"t_ms\":0.000,\"role\":\"acklab\"}\n");
	assert_non_null(fgets(line, sizeof(line), f));
	assert_true(strncmp(line, "{\"t\":1001234567,\"t_ms\":1.235,\"ev\":\"sending\"", 43) == 0);
	fclose(f);

	back = history_load_jsonl(path, err, sizeof(err));
	assert_non_null(back);
	assert_int_equal(history_len(back), history_len(h));
	for (size_t i = 0; i < history_len(h); i++)
		assert_true(json_equal(history_at(h, i), history_at(back, i)));
	history_free(back);

	/* A broken file says where. */
	f = fopen(path, "a");
	fputs("{\"t\":5}\nnot json\n", f);
	fclose(f);
	assert_null(history_load_jsonl(path, err, sizeof(err)));
	assert_non_null(strstr(err, ":6:"));
	assert_null(history_load_jsonl("/nonexistent/h.jsonl", err, sizeof(err)));
	assert_string_equal(err, "history: cannot open /nonexistent/h.jsonl: No such file or directory");
	unlink(path);
	outdir_close(&dir);
	rmdir(dir_path);
	history_free(h);
}

/* A link planted where history.jsonl goes is refused, and what it points at is left alone. */
static void test_write_refuses_link(void **state)
{
	char dir_path[] = "/tmp/acklab-history-XXXXXX", link_path[64], target[64], want[512];
	char err[512] = "", buf[32] = "";
	struct history *h = history_new();
	struct outdir dir;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir_path));
	snprintf(link_path, sizeof(link_path), "%s/history.jsonl", dir_path);
	snprintf(target, sizeof(target), "%s/outside", dir_path);
	f = fopen(target, "w");
	fputs("precious\n", f);
	fclose(f);
	assert_int_equal(symlink(target, link_path), 0);
	assert_int_equal(outdir_open(&dir, dir_path, false, err, sizeof(err)), 0);
	history_add(h, "acklab", json_object(), 1);
	assert_int_equal(history_write_jsonl(h, &dir, "history.jsonl", 0, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s is a symbolic link (to %s): acklab never follows a link where it "
		 "writes; remove it or choose another --out", link_path, target);
	assert_string_equal(err, want);
	f = fopen(target, "r");
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "precious\n");
	unlink(link_path);
	unlink(target);
	outdir_close(&dir);
	rmdir(dir_path);
	history_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_sorted_and_stable),
		cmocka_unit_test(test_text_and_read_time),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_write_refuses_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
