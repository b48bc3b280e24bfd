/*
 * Tests of whole-token matching: a token is found only where it ends, so
 * m1 is never found inside m10, in text, in bytes, and when listing every
 * token a text carries; sentence punctuation after a token still ends it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "token.h"

static void test_whole(void **state)
{
	(void)state;
	assert_true(token_in_text("m1: hi (acklab-5f2c-m1)", "acklab-5f2c-m1"));
	assert_false(token_in_text("m10: hi (acklab-5f2c-m10)", "acklab-5f2c-m1"));
	assert_true(token_in_text("m10 (acklab-5f2c-m10) then (acklab-5f2c-m1)", "acklab-5f2c-m1"));
	assert_true(token_in_text("acklab-5f2c-m1", "acklab-5f2c-m1"));
	assert_true(token_in_text("see acklab-5f2c-m1.", "acklab-5f2c-m1"));
	assert_true(token_in_text("acklab-5f2c-m1-, then", "acklab-5f2c-m1"));
	assert_false(token_in_text("acklab-5f2c-m1.5", "acklab-5f2c-m1"));       /* id "m1.5" */
	assert_false(token_in_text("acklab-5f2c-m1-b", "acklab-5f2c-m1"));       /* id "m1-b" */
	assert_false(token_in_text("acklab-5f2c-m1_", "acklab-5f2c-m1"));
	assert_false(token_in_text(NULL, "acklab-5f2c-m1"));
	assert_false(token_in_text("acklab-5f2c-m", "acklab-5f2c-m1"));
}

static void test_bytes(void **state)
{
	const char buf[] = { 'x', 'a', 'c', 'k', 'l', 'a', 'b', '-', '1', '-', 'w', '1', '.', '1', '7', 0, 'z' };

	(void)state;
	assert_non_null(token_memfind(buf, sizeof buf, "acklab-1-w1.17", 14));
	assert_null(token_memfind(buf, sizeof buf, "acklab-1-w1.1", 13));
	assert_null(token_memfind(buf, sizeof buf, "acklab-1-w1", 11));
	assert_null(token_memfind(buf, 14, "acklab-1-w1.17", 14));                /* cut short */
	assert_non_null(token_memfind(buf, 15, "acklab-1-w1.17", 14));            /* ends with the buffer */
}

static void test_next(void **state)
{
	const char *text = "r1: reply to m1 (acklab-5f2c-m1) as seen (acklab-5f2c-r1).";
	char tok[TOKEN_MAX];
	size_t pos = 0;

	(void)state;
	assert_true(token_next(text, &pos, tok, sizeof tok));
	assert_string_equal(tok, "acklab-5f2c-m1");
	assert_true(token_next(text, &pos, tok, sizeof tok));
	assert_string_equal(tok, "acklab-5f2c-r1");
	assert_false(token_next(text, &pos, tok, sizeof tok));
	pos = 0;
	assert_false(token_next("no token here", &pos, tok, sizeof tok));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_next),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
