/*
 * Tests of the shared helpers every program uses: number parsing with its
 * exact error texts, bounded string copies, error buffers and the clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

static void test_parse_long(void **state)
{
	char err[128];
	long v = -1;

	(void)state;
	assert_int_equal(parse_long("8080", 1, 65535, &v, err, sizeof err), 0);
	assert_int_equal(v, 8080);
	assert_int_equal(parse_long("-3", -5, 5, &v, err, sizeof err), 0);
	assert_int_equal(v, -3);
	assert_int_equal(parse_long("12x", 0, 100, &v, err, sizeof err), -1);
	assert_string_equal(err, "'12x' is not a number");
	assert_int_equal(parse_long("70000", 1, 65535, &v, err, sizeof err), -1);
	assert_string_equal(err, "'70000' is out of range 1..65535");
	assert_int_equal(parse_long("", 0, 1, &v, err, sizeof err), -1);
	assert_string_equal(err, "empty value where a number was expected");
	assert_int_equal(parse_long("99999999999999999999", 0, 1, &v, err, sizeof err), -1);
	assert_int_equal(v, -3);        /* untouched on failure */
	assert_int_equal(parse_long("1", 0, 1, &v, NULL, 0), 0);
}

static void test_str_copy(void **state)
{
	char small[4];

	(void)state;
	assert_int_equal(str_copy(small, "abcdef", sizeof small), 6);
	assert_string_equal(small, "abc");
	assert_int_equal(str_copy(small, "ab", sizeof small), 2);
	assert_string_equal(small, "ab");
}

static void test_err_set_and_clock(void **state)
{
	char err[16];
	int64_t a, b;

	(void)state;
	assert_int_equal(err_set(err, sizeof err, "code %d: %s", 42, "too long for the buffer"), -1);
	assert_string_equal(err, "code 42: too lo");
	assert_int_equal(err_set(NULL, 0, "ignored"), -1);
	a = mono_ns();
	sleep_ms(5);
	b = mono_ns();
	assert_true(b - a >= 5000000);
	assert_true(ms_since(a) >= 5.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_str_copy),
		cmocka_unit_test(test_err_set_and_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
