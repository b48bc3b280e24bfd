/*
 * chatd_failpoint: the failpoint spec parser and hit counting. Error texts
 * are the interface a scenario author sees, so they are compared exactly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "../../fixtures/chatd/failpoint.h"

static void expect_error(const char *spec, const char *want)
{
	struct fp_set set;
	char err[512] = "";

	assert_int_equal(fp_parse(spec, &set, err, sizeof err), -1);
	assert_string_equal(err, want);
}

static void test_error_texts(void **state)
{
	expect_error("before_persit=crash",
		     "'before_persit=crash': unknown failpoint 'before_persit' (known: recv, "
		     "before_persist, persist, after_persist, after_fanout, before_reply, sync)");
	expect_error("recv=fail", "'recv=fail': action 'fail' only applies to failpoints 'persist' and 'sync'");
	expect_error("persist=crash@0", "'persist=crash@0': hit number must be 1 or more");
	expect_error("persist=crash@-2", "'persist=crash@-2': hit number must be 1 or more");
	expect_error("persist=crash@x", "'persist=crash@x': hit number 'x' is not a number (e.g. @3 or @3+)");
	expect_error("persist", "'persist': expected NAME=ACTION, e.g. before_persist=crash@3");
	expect_error("recv=boom", "'recv=boom': unknown action 'boom' (known: crash, fail, hang, delay:MS)");
	expect_error("recv=delay", "'recv=delay': delay needs milliseconds, e.g. delay:250");
	expect_error("recv=delay:soon",
		     "'recv=delay:soon': delay 'soon' is not a number of milliseconds in 0..3600000 (e.g. delay:250)");
	expect_error("recv=crash,,persist=fail", "'recv=crash,,persist=fail': empty entry (remove the stray ',')");
	/* The first bad entry is named, not the good ones before it. */
	expect_error("persist=fail@2,after_persist=fail",
		     "'after_persist=fail': action 'fail' only applies to failpoints 'persist' and 'sync'");
}

static void test_parse_forms(void **state)
{
	struct fp_set set;
	char err[256];

	assert_int_equal(fp_parse("", &set, err, sizeof err), 0);
	assert_int_equal(set.n, 0);
	assert_int_equal(fp_parse("before_persist=crash@3,persist=fail@2+,recv=delay:250,after_fanout=hang",
				  &set, err, sizeof err), 0);
	assert_int_equal(set.n, 4);
	assert_int_equal(set.rule[0].id, FP_BEFORE_PERSIST);
	assert_int_equal(set.rule[0].action, FP_CRASH);
	assert_int_equal(set.rule[0].hit, 3);
	assert_int_equal(set.rule[0].and_later, 0);
	assert_int_equal(set.rule[1].id, FP_PERSIST);
	assert_int_equal(set.rule[1].action, FP_FAIL);
	assert_int_equal(set.rule[1].hit, 2);
	assert_int_equal(set.rule[1].and_later, 1);
	assert_int_equal(set.rule[2].action, FP_DELAY);
	assert_int_equal(set.rule[2].delay_ms, 250);
	assert_int_equal(set.rule[2].hit, 0);
	assert_int_equal(set.rule[3].id, FP_AFTER_FANOUT);
	assert_int_equal(set.rule[3].action, FP_HANG);
	assert_string_equal(fp_name(FP_BEFORE_REPLY), "before_reply");
	assert_string_equal(fp_action_name(FP_DELAY), "delay");
}

static void test_hits(void **state)
{
	struct fp_set set;
	char err[256];
	long hit, delay;
	int i;

	assert_int_equal(fp_parse("persist=fail@2,recv=crash@3+,after_persist=delay:5", &set, err, sizeof err), 0);
	/* @2: only the second hit. */
	assert_int_equal(fp_hit(&set, FP_PERSIST, &hit, &delay), FP_NONE);
	assert_int_equal(hit, 1);
	assert_int_equal(fp_hit(&set, FP_PERSIST, &hit, &delay), FP_FAIL);
	assert_int_equal(hit, 2);
	assert_int_equal(fp_hit(&set, FP_PERSIST, &hit, &delay), FP_NONE);
	/* @3+: third and later; counters are per failpoint. */
	assert_int_equal(fp_hit(&set, FP_RECV, &hit, &delay), FP_NONE);
	assert_int_equal(fp_hit(&set, FP_RECV, &hit, &delay), FP_NONE);
	for (i = 0; i < 3; i++)
		assert_int_equal(fp_hit(&set, FP_RECV, &hit, &delay), FP_CRASH);
	assert_int_equal(hit, 5);
	/* No @: every hit. */
	for (i = 0; i < 3; i++) {
		assert_int_equal(fp_hit(&set, FP_AFTER_PERSIST, &hit, &delay), FP_DELAY);
		assert_int_equal(delay, 5);
	}
	/* A failpoint without a rule never fires but still counts. */
	assert_int_equal(fp_hit(&set, FP_BEFORE_REPLY, &hit, &delay), FP_NONE);
	assert_int_equal(hit, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_texts),
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_hits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
