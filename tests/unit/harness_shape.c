/*
 * Tests of shape.c, the router queue's decisions, on made-up packets and
 * times: no sockets, no clock. Each test feeds packets in, records every
 * release (id, dropped, duplicated) in order, and checks what a rule or a
 * flow hold did with them: kept or not, when and in which order released,
 * and what it counted. Seeded rules are checked to repeat exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "../../harness/shape.h"

#define MS 1000000LL
#define A 0x0201a8c0u         /* addresses in network order; only equality matters */
#define B 0x0202a8c0u
#define C 0x0b0aa8c0u

struct released {
	uint32_t id[256];
	bool drop[256], dup[256];
	int n;
};

static void on_release(void *arg, uint32_t id, bool drop, bool duplicate)
{
	struct released *r = arg;

	assert_true(r->n < 256);
	r->id[r->n] = id;
	r->drop[r->n] = drop;
	r->dup[r->n++] = duplicate;
}

static struct shape_pkt pkt(uint32_t id, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	return (struct shape_pkt){ id, src, dst, IPPROTO_TCP, sport, dport };
}

static struct shape_out feed(struct shape *s, uint32_t id, uint32_t src, uint32_t dst, int64_t t)
{
	struct shape_pkt p = pkt(id, src, dst, 40000, 8080);

	return shape_packet(s, &p, t);
}

/* The drops of 1000 packets under a 5% loss rule seeded with seed, as a bit string. */
static void loss_pattern(uint64_t seed, char *out)
{
	struct shape *s = shape_new();
	struct shape_rule r = { .kind = SHAPE_LOSS, .src = A, .dst = B, .ppm = 50000, .seed = seed };
	struct shape_counts c;
	int id = shape_add(s, &r), drops = 0;

	for (int i = 0; i < 1000; i++) {
		struct shape_out o = feed(s, (uint32_t)i, A, B, i * MS);

		out[i] = o.verdict == SHAPE_DROP ? '1' : '0';
		drops += o.verdict == SHAPE_DROP;
		assert_true(o.verdict != SHAPE_KEPT);
	}
	out[1000] = '\0';
	assert_int_equal(shape_counts(s, id, &c), 0);
	assert_int_equal(c.seen, 1000);
	assert_int_equal(c.dropped, (uint64_t)drops);
	assert_true(drops > 25 && drops < 80);     /* 5% of 1000, give or take */
	shape_free(s);
}

static void test_loss_repeats_with_its_seed(void **state)
{
	char a[1001], b[1001], c[1001];

	(void)state;
	loss_pattern(42, a);
	loss_pattern(42, b);
	loss_pattern(43, c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
}

static void test_rules_act_on_their_link_only(void **state)
{
	struct shape *s = shape_new();
	struct shape_rule r = { .kind = SHAPE_LOSS, .src = A, .dst = B, .ppm = 1000000 };
	struct shape_counts c;
	int id = shape_add(s, &r);

	(void)state;
	assert_int_equal(feed(s, 1, B, A, 0).verdict, SHAPE_ACCEPT);      /* the other way */
	assert_int_equal(feed(s, 2, A, C, 0).verdict, SHAPE_ACCEPT);      /* another host */
	assert_int_equal(feed(s, 3, A, B, 0).verdict, SHAPE_DROP);
	shape_counts(s, id, &c);
	assert_int_equal(c.seen, 1);
	shape_free(s);
}

static void test_delay_keeps_order_and_time(void **state)
{
	struct shape *s = shape_new();
	struct shape_rule r = { .kind = SHAPE_DELAY, .src = A, .dst = B, .ms = 80 };
	struct released out = { .n = 0 };
	struct shape_counts c;
	int id = shape_add(s, &r);

	(void)state;
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(feed(s, 10 + i, A, B, (int64_t)i * MS).verdict, SHAPE_KEPT);
	assert_int_equal(shape_next_due(s), 80 * MS);
	shape_due(s, 80 * MS - 1, on_release, &out);
	assert_int_equal(out.n, 0);
	shape_due(s, 81 * MS, on_release, &out);
	assert_int_equal(out.n, 2);
	assert_int_equal(out.id[0], 10);
	assert_int_equal(out.id[1], 11);
	assert_false(out.drop[0] || out.dup[0]);
	assert_int_equal(shape_kept(s), 1);
	/* Removing the rule lets the rest go at once. */
	assert_int_equal(shape_remove(s, id, &c, on_release, &out), 0);
	assert_int_equal(out.n, 3);
	assert_int_equal(out.id[2], 12);
	assert_int_equal(c.delayed, 3);
	assert_int_equal(shape_kept(s), 0);
	assert_int_equal(shape_next_due(s), INT64_MAX);
	assert_int_equal(shape_remove(s, id, NULL, on_release, &out), -1);
	assert_int_equal(feed(s, 13, A, B, 90 * MS).verdict, SHAPE_ACCEPT);
	shape_free(s);
}

static void test_jitter_stays_in_range(void **state)
{
	struct shape *s = shape_new();
	struct shape_rule r = { .kind = SHAPE_DELAY, .src = A, .dst = B, .ms = 40, .jitter_ms = 20,
				.seed = 7 };
	int64_t lo = INT64_MAX, hi = 0;
	bool reordered = false;

	(void)state;
	shape_add(s, &r);
	for (uint32_t i = 0; i < 200; i++) {
		struct released out = { .n = 0 };
		int64_t due;

		assert_int_equal(feed(s, i, A, B, 0).verdict, SHAPE_KEPT);
		due = shape_next_due(s);
		shape_due(s, due, on_release, &out);
		assert_int_equal(out.n, 1);
		lo = due < lo ? due : lo;
		hi = due > hi ? due : hi;
	}
	assert_true(lo >= 20 * MS && hi <= 60 * MS);
	assert_true(hi - lo > 30 * MS);           /* spread over the range, not one value */
	/* Sent 1 ms apart, jittered packets may pass each other, as with netem. */
	for (uint32_t i = 0; i < 50; i++)
		feed(s, 1000 + i, A, B, (int64_t)i * MS);
	{
		struct released out = { .n = 0 };

		shape_due(s, INT64_MAX, on_release, &out);
		assert_int_equal(out.n, 50);
		for (int k = 1; k < out.n; k++)
			reordered = reordered || out.id[k] < out.id[k - 1];
	}
	assert_true(reordered);
	shape_free(s);
}

static void test_hold_until_removed(void **state)
{
	struct shape *s = shape_new();
	struct shape_rule r = { .kind = SHAPE_HOLD, .src = A, .dst = B };
	struct released out = { .n = 0 };
	struct shape_counts c;
	int id = shape_add(s, &r);

	(void)state;
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(feed(s, i, A, B, (int64_t)i * MS).verdict, SHAPE_KEPT);
	assert_int_equal(feed(s, 9, B, A, 0).verdict, SHAPE_ACCEPT);
	shape_due(s, INT64_MAX, on_release, &out);
	assert_int_equal(out.n, 0);                /* no time frees a hold */
	assert_int_equal(shape_remove(s, id, &c, on_release, &out), 0);
	assert_int_equal(out.n, 4);
	for (int k = 0; k < 4; k++)
		assert_int_equal(out.id[k], (uint32_t)k);
	assert_int_equal(c.held, 4);
	shape_free(s);
}

static void test_flow_hold(void **state)
{
	struct shape *s = shape_new();
	struct shape_pkt first = pkt(1, A, B, 40000, 8080), same = pkt(2, A, B, 40000, 8080);
	struct shape_pkt back = pkt(3, B, A, 8080, 40000), other = pkt(4, A, B, 40001, 8080);
	struct shape_flow_info info;
	struct released out = { .n = 0 };
	int hold;

	(void)state;
	assert_false(shape_in_held_flow(s, &first));
	hold = shape_hold_flow(s, &first, 7, 5 * MS);
	assert_true(hold > 0);
	assert_true(shape_in_held_flow(s, &same));
	assert_true(shape_in_held_flow(s, &back));  /* both directions of the flow */
	assert_false(shape_in_held_flow(s, &other));
	assert_int_equal(shape_kept(s), 3);
	assert_int_equal(shape_release_flow(s, hold, true, &info, on_release, &out), 0);
	assert_int_equal(out.n, 3);
	assert_int_equal(out.id[0], 1);
	assert_int_equal(out.id[1], 2);
	assert_int_equal(out.id[2], 3);
	assert_true(out.drop[0] && out.drop[1] && out.drop[2]);
	assert_int_equal(info.tag, 7);
	assert_int_equal(info.packets, 3);
	assert_int_equal(info.opened_ns, 5 * MS);
	assert_int_equal(info.first.sport, 40000);
	/* Released: the flow passes again, and the hold is gone. */
	assert_false(shape_in_held_flow(s, &same));
	assert_int_equal(shape_release_flow(s, hold, false, NULL, on_release, &out), -1);
	shape_free(s);
}

static void test_duplicate_and_reorder(void **state)
{
	struct shape *s = shape_new();
	struct shape_rule dup = { .kind = SHAPE_DUPLICATE, .src = A, .dst = B, .ppm = 1000000 };
	struct shape_rule late = { .kind = SHAPE_REORDER, .src = A, .dst = B, .ppm = 500000, .ms = 10,
				   .seed = 3 };
	struct released out = { .n = 0 };
	struct shape_counts c;
	int passed = 0, kept = 0, id;

	(void)state;
	shape_add(s, &dup);
	id = shape_add(s, &late);
	for (uint32_t i = 0; i < 40; i++) {
		struct shape_out o = feed(s, i, A, B, (int64_t)i * MS / 10);

		if (o.verdict == SHAPE_ACCEPT) {
			assert_true(o.duplicate);
			passed++;
		} else {
			assert_int_equal(o.verdict, SHAPE_KEPT);
			kept++;
		}
	}
	assert_true(passed > 5 && kept > 5);
	shape_counts(s, id, &c);
	assert_int_equal(c.delayed, (uint64_t)kept);
	/* The ones held back come later still marked as duplicates. */
	shape_due(s, INT64_MAX, on_release, &out);
	assert_int_equal(out.n, kept);
	for (int k = 0; k < out.n; k++)
		assert_true(out.dup[k] && !out.drop[k]);
	shape_free(s);
}

static void test_release_all(void **state)
{
	struct shape *s = shape_new();
	struct shape_rule hold = { .kind = SHAPE_HOLD, .src = A, .dst = C };
	struct shape_rule delay = { .kind = SHAPE_DELAY, .src = A, .dst = B, .ms = 5 };
	struct shape_pkt p = pkt(3, B, C, 1, 2);
	struct released out = { .n = 0 };

	(void)state;
	shape_add(s, &hold);
	shape_add(s, &delay);
	feed(s, 1, A, C, 0);
	feed(s, 2, A, B, 0);
	shape_hold_flow(s, &p, 0, 0);
	assert_int_equal(shape_kept(s), 3);
	shape_release_all(s, on_release, &out);
	assert_int_equal(out.n, 3);
	assert_int_equal(shape_kept(s), 0);
	shape_free(s);
	shape_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loss_repeats_with_its_seed),
		cmocka_unit_test(test_rules_act_on_their_link_only),
		cmocka_unit_test(test_delay_keeps_order_and_time),
		cmocka_unit_test(test_jitter_stays_in_range),
		cmocka_unit_test(test_hold_until_removed),
		cmocka_unit_test(test_flow_hold),
		cmocka_unit_test(test_duplicate_and_reorder),
		cmocka_unit_test(test_release_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
