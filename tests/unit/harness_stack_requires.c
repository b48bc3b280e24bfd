/*
 * Tests of a stack's `requires` line: a program looked up on PATH, a file
 * with {bin} expanded to acklab's programs folder, the first missing one
 * named in the reason (with the stack file's line), and the parse errors a
 * requires word can have (a placeholder other than {bin}). This is what
 * turns the cells of a stack whose software is not installed (Node and the
 * npm packages of the Socket.IO stacks) into n/a instead of failures.
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

#include "../../harness/stack.h"

#define BASE                                                                  \
	"stack mine\n"                                                        \
	"client {bin}/c --server http://{server}:{port}\n"                    \
	"server {bin}/s --listen {addr}:{port}\n"                             \
	"store  {bin}/c --history\n"                                          \
	"port   8080\n"

static struct stack *parse(const char *text, char *err, size_t errlen)
{
	struct stack *s = NULL;

	if (stack_parse_string("mine.stack", text, &s, err, errlen) == -1)
		return NULL;
	return s;
}

/* A folder standing in for acklab's bin/, with one file in it. */
static void make_bin(char *dir, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(dir, len, "/tmp/acklab-requires-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/present.js", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
}

static void remove_bin(const char *dir)
{
	char path[512];

	snprintf(path, sizeof path, "%s/present.js", dir);
	unlink(path);
	rmdir(dir);
}

static void test_no_requires_is_met(void **state)
{
	char err[512] = "", why[256] = "x";
	struct stack *s = parse(BASE, err, sizeof err);

	(void)state;
	assert_non_null(s);
	assert_int_equal(stack_requires_met(s, "/nowhere", why, sizeof why), 1);
	assert_string_equal(why, "");
	stack_free(s);
}

static void test_files_and_programs_present(void **state)
{
	char err[512] = "", why[256], bin[64];
	struct stack *s;

	(void)state;
	make_bin(bin, sizeof bin);
	/* sh is on every PATH this runs with; {bin}/present.js was just made. */
	s = parse(BASE "requires sh {bin}/present.js\n", err, sizeof err);
	assert_non_null(s);
	assert_int_equal(stack_requires_met(s, bin, why, sizeof why), 1);
	stack_free(s);
	remove_bin(bin);
}

static void test_missing_file_named(void **state)
{
	char err[512] = "", why[256], bin[64], want[256];
	struct stack *s;

	(void)state;
	make_bin(bin, sizeof bin);
	s = parse(BASE "requires sh {bin}/present.js {bin}/node_modules/socket.io/package.json\n", err,
		  sizeof err);
	assert_non_null(s);
	assert_int_equal(stack_requires_met(s, bin, why, sizeof why), 0);
	snprintf(want, sizeof want, "stack mine requires %s/node_modules/socket.io/package.json, which "
		 "this machine does not have (mine.stack:6)", bin);
	assert_string_equal(why, want);
	stack_free(s);
	remove_bin(bin);
}

static void test_missing_program_named(void **state)
{
	char err[512] = "", why[256];
	struct stack *s = parse(BASE "requires acklab-no-such-program-here\n", err, sizeof err);

	(void)state;
	assert_non_null(s);
	assert_int_equal(stack_requires_met(s, "/b", why, sizeof why), 0);
	assert_string_equal(why, "stack mine requires the program acklab-no-such-program-here, which is "
			    "not on PATH (mine.stack:6)");
	stack_free(s);
}

static void test_only_bin_placeholder(void **state)
{
	char err[512] = "";
	struct stack *s = parse(BASE "requires node {dir}/x\n", err, sizeof err);

	(void)state;
	assert_null(s);
	assert_non_null(strstr(err, "mine.stack:6:15: requires takes only {bin}"));
}

static void test_empty_requires(void **state)
{
	char err[512] = "";
	struct stack *s = parse(BASE "requires\n", err, sizeof err);

	(void)state;
	assert_null(s);
	assert_non_null(strstr(err, "mine.stack:6:1: missing command"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_requires_is_met),
		cmocka_unit_test(test_files_and_programs_present),
		cmocka_unit_test(test_missing_file_named),
		cmocka_unit_test(test_missing_program_named),
		cmocka_unit_test(test_only_bin_placeholder),
		cmocka_unit_test(test_empty_requires),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
