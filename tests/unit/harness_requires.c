/*
 * Tests of a stack's `requires` line: it parses like the other commands
 * (with {bin} expanded when it runs), a command that exits 0 lets the
 * stack run, one that fails gives the reason the cells are n/a for (its
 * exit status and its last line of output, the file and line of the
 * statement), a stack without the line needs nothing, and each stack's
 * command runs once per process: a second ask is answered from what the
 * first run found.
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

#include "../../harness/stack.h"

static struct stack *parse(const char *name, const char *requires_line)
{
	char text[1024], err[512] = "";
	struct stack *s = NULL;

	snprintf(text, sizeof text,
		 "stack %s\nclient c\nserver s\nstore t\nport 80\n%s", name, requires_line);
	assert_int_equal(stack_parse_string(name, text, &s, err, sizeof err), 0);
	return s;
}

static void test_passes(void **state)
{
	struct stack *s = parse("req-true", "requires sh -c \"test -d {bin}\"\n");
	char why[512] = "x";

	(void)state;
	assert_int_equal(s->requires.nwords, 3);
	assert_int_equal(s->requires.line, 6);
	assert_int_equal(stack_requires_met(s, "/", why, sizeof why), 0);
	assert_string_equal(why, "");
	stack_free(s);
}

static void test_fails_with_reason(void **state)
{
	struct stack *s = parse("req-false", "requires sh -c \"echo starting; echo 'no browser here' >&2; exit 3\"\n");
	char why[512] = "";

	(void)state;
	assert_int_equal(stack_requires_met(s, "/", why, sizeof why), -1);
	assert_non_null(strstr(why, "req-false:6) failed here: exit 3: no browser here"));
	assert_non_null(strstr(why, "`sh ...`"));
	stack_free(s);
}

static void test_missing_program(void **state)
{
	struct stack *s = parse("req-absent", "requires {bin}/no-such-program --probe\n");
	char why[512] = "";

	(void)state;
	assert_int_equal(stack_requires_met(s, "/nonexistent", why, sizeof why), -1);
	assert_non_null(strstr(why, "exit 127: cannot run /nonexistent/no-such-program: No such file or directory"));
	stack_free(s);
}

static void test_once_per_stack(void **state)
{
	char marker[] = "/tmp/acklab-requires-test.XXXXXX", line[1200], why[512] = "";
	struct stack *s;
	int fd = mkstemp(marker);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	unlink(marker);
	/* The first run leaves the marker and passes; a second run would find it and fail. */
	snprintf(line, sizeof line, "requires sh -c \"test ! -e %s && touch %s\"\n", marker, marker);
	s = parse("req-once", line);
	assert_int_equal(stack_requires_met(s, "/", why, sizeof why), 0);
	assert_int_equal(access(marker, F_OK), 0);
	assert_int_equal(stack_requires_met(s, "/", why, sizeof why), 0);
	unlink(marker);
	stack_free(s);
}

static void test_none(void **state)
{
	struct stack *s = parse("req-none", "");
	char why[64] = "";

	(void)state;
	assert_int_equal(s->requires.nwords, 0);
	assert_int_equal(stack_requires_met(s, "/", why, sizeof why), 0);
	stack_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passes),
		cmocka_unit_test(test_fails_with_reason),
		cmocka_unit_test(test_missing_program),
		cmocka_unit_test(test_once_per_stack),
		cmocka_unit_test(test_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
