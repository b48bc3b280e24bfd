/*
 * Tests of history_lines: a file's lines, read by reader threads each at a
 * block of its own, must come out exactly as getline() and stripping the
 * trailing '\n' and '\r' would give them, in file order, whatever the
 * block size and the number of readers. Small blocks put a block end at
 * every kind of place: inside a line, on its '\n', on a '\r', inside a
 * line several blocks long, in an empty line, at the file's last byte;
 * files with and without a last '\n', empty ones, one byte long. The
 * reader's prepare hook must run on every line, scanned or not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../harness/history_lines.h"
#include "../support/scratch.h"

/* What getline() gives, each line without its '\n' and trailing '\r's. */
struct expected_lines {
	char **text;
	size_t *len;
	size_t n;
};

static void expected_of(const char *path, struct expected_lines *x)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;

	assert_non_null(f);
	memset(x, 0, sizeof *x);
	while ((got = getline(&line, &cap, f)) >= 0) {
		size_t n = (size_t)got;

		if (n && line[n - 1] == '\n')
			n--;
		while (n && line[n - 1] == '\r')
			n--;
		x->text = realloc(x->text, (x->n + 1) * sizeof *x->text);
		x->len = realloc(x->len, (x->n + 1) * sizeof *x->len);
		assert_non_null(x->text);
		assert_non_null(x->len);
		x->text[x->n] = malloc(n + 1);
		assert_non_null(x->text[x->n]);
		memcpy(x->text[x->n], line, n);
		x->text[x->n][n] = '\0';
		x->len[x->n++] = n;
	}
	free(line);
	fclose(f);
}

static void expected_free(struct expected_lines *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->text[i]);
	free(x->text);
	free(x->len);
}

static int prepared;

static void count_prepared(struct history_line *l)
{
	(void)l;
	__atomic_fetch_add(&prepared, 1, __ATOMIC_RELAXED);
}

/* Read path with every block size in sizes and 0, 1, 2 and 4 readers; compare with getline. */
static void check_file(const char *path, const size_t *sizes, size_t nsizes)
{
	static const int readers[] = { 0, 1, 2, 4 };
	struct expected_lines x;

	expected_of(path, &x);
	for (size_t s = 0; s < nsizes; s++) {
		for (size_t k = 0; k < sizeof readers / sizeof *readers; k++) {
			struct history_lines *r;
			struct history_line *l;
			size_t n = 0;
			int got;

			prepared = 0;         /* before the readers start */
			r = history_lines_open(path, sizes[s], readers[k], count_prepared);
			assert_non_null(r);
			while ((got = history_lines_next(r, &l)) == 1) {
				if (n >= x.n || l->len != x.len[n] || (!l->scanned && memcmp(l->text, x.text[n], l->len)))
					fail_msg("%s, block %zu, %d readers: line %zu is \"%.*s\" (%zu bytes), "
						 "getline gives \"%s\" (%zu bytes)", path, sizes[s], readers[k], n + 1,
						 (int)l->len, l->text, l->len, n < x.n ? x.text[n] : "(none)",
						 n < x.n ? x.len[n] : 0);
				n++;
			}
			assert_int_equal(got, 0);
			if (n != x.n)
				fail_msg("%s, block %zu, %d readers: %zu lines, getline gives %zu", path, sizes[s],
					 readers[k], n, x.n);
			history_lines_close(r);
			assert_int_equal(prepared, (int)x.n);
		}
	}
	expected_free(&x);
}

static void write_file(const char *path, const char *bytes, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_block_ends_everywhere(void **state)
{
	static const char *files[] = {
		"",
		"x",
		"\n",
		"\n\n\n",
		"a\nbb\nccc\n",
		"a\nbb\nccc",
		"one\r\ntwo\r\n\r\nthree\r",
		"{\"ev\":\"send\",\"id\":\"m1\",\"role\":\"acklab\"}\n{\"ev\":\"sent\",\"id\":\"m1\",\"role\":\"client\"}\n",
		"short\na line much longer than any of the small blocks the test reads it with, longer still\nz\n",
		"\r\r\r\n\r\nx\r\n",
	};
	size_t sizes[40];
	char dir[256], path[320];

	(void)state;
	for (size_t i = 0; i < 40; i++)
		sizes[i] = i + 1;
	assert_int_equal(scratch_make(dir, sizeof dir, "acklab-lines"), 0);
	snprintf(path, sizeof path, "%s/f.jsonl", dir);
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		write_file(path, files[i], strlen(files[i]));
		check_file(path, sizes, 40);
	}
	scratch_remove(dir);
}

static void test_many_lines_of_every_length(void **state)
{
	/* Lines of 0 to 300 bytes in a mixed order, some CRLF, no last newline: 30 KiB. */
	static const size_t sizes[] = { 7, 64, 100, 255, 256, 4096, 0 };
	char dir[256], path[320], *bytes = malloc(1 << 20);
	size_t len = 0;
	unsigned seed = 12345;

	(void)state;
	assert_non_null(bytes);
	for (int i = 0; i < 200; i++) {
		size_t n = (seed = seed * 1103515245u + 12345u) >> 16 & 0xff;

		if (i % 17 == 0)
			n = 300 + (size_t)i;
		for (size_t k = 0; k < n; k++)
			bytes[len++] = (char)('a' + (k + (size_t)i) % 26);
		if (i % 5 == 0)
			bytes[len++] = '\r';
		if (i != 199)
			bytes[len++] = '\n';
	}
	assert_int_equal(scratch_make(dir, sizeof dir, "acklab-lines"), 0);
	snprintf(path, sizeof path, "%s/f.jsonl", dir);
	write_file(path, bytes, len);
	check_file(path, sizes, sizeof sizes / sizeof *sizes);
	free(bytes);
	scratch_remove(dir);
}

static void test_missing_file(void **state)
{
	(void)state;
	assert_null(history_lines_open("/nonexistent/acklab/history.jsonl", 0, -1, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_ends_everywhere),
		cmocka_unit_test(test_many_lines_of_every_length),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
