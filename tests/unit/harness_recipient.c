/*
 * Tests of the receive side of the matrix (recipient.h): a recipient stack
 * ("kind recipient") is a listen command with no client, and a server of
 * its own only whole; a receive cell's stack takes the sender's client and
 * server and the recipient's listener, name and column, and what it offers
 * from both; a receive scenario pairs only with recipient stacks, names a
 * send stack as its sender, and its expect lines name recipient stacks;
 * the plan of a receive cell holds both files, loads back the same, and its
 * check names the sender; the reports build the two sides' matrices apart.
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

#include "../../harness/capability.h"
#include "../../harness/check.h"
#include "../../harness/plan.h"
#include "../../harness/recipient.h"
#include "../../harness/report.h"
#include "../support/scratch.h"

static char dir[128];

static const char sender_text[] =
	"stack http\n"
	"client {bin}/chatc --server http://{server}:{port} --mode http --timeout-ms {timeout-ms}\n"
	"listen {bin}/chatc --server http://{server}:{port} --mode listen\n"
	"server {bin}/chatd --listen {addr}:{port} --db {dir}/chat.db --events - {failpoints}\n"
	"store  {bin}/chatc --server http://{server}:{port} --mode history\n"
	"port 8080\n"
	"offers failpoints events restart catchup\n"
	"default yes\n";

static const char ws_only_text[] =
	"stack listen-ws-only\n"
	"kind recipient\n"
	"describe \"recipient: pushes only\"\n"
	"listen {bin}/chatc --server http://{server}:{port} --mode listen --catchup none "
	"--heartbeat-ms {heartbeat-ms}\n"
	"default yes\n"
	"order 10\n";

static const char receive_scn[] =
	"# A cut recipient.\n"
	"scenario recv\n"
	"sender http\n"
	"server failpoints after_persist=crash@3\n"
	"listen heartbeat-ms 100\n"
	"send m1\n"
	"await client done m1\n"
	"expect listen-ws-only gap={m1}\n"
	"expect * clean\n";

static int setup(void **state)
{
	(void)state;
	return scratch_make(dir, sizeof dir, "acklab-recipient-test");
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static struct stack *parse_stack(const char *name, const char *text)
{
	struct stack *st = NULL;
	char err[512] = "";

	if (stack_parse_string(name, text, &st, err, sizeof err) != 0)
		fail_msg("%s", err);
	return st;
}

static void test_recipient_stack_parse(void **state)
{
	struct stack *st = parse_stack("r.stack", ws_only_text);
	char err[512] = "";

	(void)state;
	assert_true(st->recipient);
	assert_int_equal(st->kind_line, 2);
	assert_int_equal(st->client.nwords, 0);
	assert_int_equal(st->port, 0);
	stack_free(st);
	/* A send stack says nothing, or "kind send". */
	st = parse_stack("s.stack", sender_text);
	assert_false(st->recipient);
	stack_free(st);

	assert_int_equal(stack_parse_string("r.stack", "stack r\nkind recipient\nclient x\nlisten y\n", &st, err,
					    sizeof err), -1);
	assert_string_equal(err, "r.stack:3:1: a recipient stack has no 'client' line (its cells run the receive "
			    "scenario's sender; kind at line 2)");
	assert_int_equal(stack_parse_string("r.stack", "stack r\nkind recipient\n", &st, err, sizeof err), -1);
	assert_string_equal(err, "r.stack:2:1: recipient stack 'r' has no 'listen' line");
	assert_int_equal(stack_parse_string("r.stack", "stack r\nkind recipient\nlisten y\nserver z\n", &st, err,
					    sizeof err), -1);
	assert_string_equal(err, "r.stack:4:1: recipient stack 'r' has no 'store' line (a server of its own needs "
			    "server, store and port)");
	assert_int_equal(stack_parse_string("r.stack", "stack r\nkind listener\n", &st, err, sizeof err), -1);
	assert_string_equal(err, "r.stack:2:6: bad kind 'listener' (expected send or recipient)");
}

static void test_compose(void **state)
{
	struct stack *cell = recipient_compose(parse_stack("s.stack", sender_text),
					       parse_stack("r.stack", ws_only_text));

	(void)state;
	assert_string_equal(cell->name, "listen-ws-only");
	assert_string_equal(cell->path, "r.stack");
	assert_true(cell->recipient);
	assert_true(cell->is_default);
	assert_int_equal(cell->order, 10);
	assert_string_equal(cell->client.words[4], "http");            /* the sender's client */
	assert_string_equal(cell->listen.words[5], "--catchup");        /* the recipient's listener */
	assert_string_equal(cell->server.words[0], "{bin}/chatd");
	assert_int_equal(cell->port, 8080);
	/* The server's capabilities are the sender's; catch-up is the listener's, and it does not say it. */
	assert_int_equal(cell->offers, CAP_FAILPOINTS | CAP_EVENTS | CAP_RESTART);
	stack_free(cell);

	/* A recipient stack with a server of its own brings everything but the client. */
	cell = recipient_compose(parse_stack("s.stack", sender_text),
				 parse_stack("o.stack", "stack mine\nkind recipient\nlisten my-listen\n"
							"server my-server {port}\nstore my-store\nport 9000\n"
							"ready port\noffers catchup\n"));
	assert_string_equal(cell->client.words[0], "{bin}/chatc");
	assert_string_equal(cell->server.words[0], "my-server");
	assert_string_equal(cell->store.words[0], "my-store");
	assert_int_equal(cell->port, 9000);
	assert_true(cell->ready_port);
	assert_int_equal(cell->offers, CAP_CATCHUP);
	stack_free(cell);
}

static void test_pairs_and_check(void **state)
{
	struct stack *sender = parse_stack("s.stack", sender_text), *rcpt = parse_stack("r.stack", ws_only_text);
	struct stack_set set = { NULL, 0 };
	struct scenario *recv = NULL, *send = NULL, *bad = NULL;
	char err[512] = "";

	(void)state;
	set.stacks = calloc(2, sizeof *set.stacks);
	assert_non_null(set.stacks);
	set.stacks[0] = *sender;
	set.stacks[1] = *rcpt;
	set.n = 2;
	assert_int_equal(scenario_parse_string("recv.scn", receive_scn, &recv, err, sizeof err), 0);
	assert_string_equal(recv->sender, "http");
	assert_int_equal(recv->sender_pos.line, 3);
	assert_int_equal(scenario_parse_string("send.scn", "scenario s\nsend m1\nexpect listen-ws-only clean\n", &send,
					       err, sizeof err), 0);
	assert_true(recipient_pairs(recv, rcpt));
	assert_false(recipient_pairs(recv, sender));
	assert_true(recipient_pairs(send, sender));
	assert_false(recipient_pairs(send, rcpt));

	assert_int_equal(recipient_check(recv, &set, err, sizeof err), 0);
	assert_int_equal(recipient_check(send, &set, err, sizeof err), -1);
	assert_string_equal(err, "send.scn:3:8: 'listen-ws-only' is a recipient stack, and this is a send scenario "
			    "(recipient stacks are the columns of scenarios that say 'sender STACK')");
	assert_int_equal(scenario_parse_string("bad.scn", "scenario b\nsender  listen-ws-only\nsend m1\nexpect * clean\n", &bad, err,
					       sizeof err), 0);
	assert_int_equal(recipient_check(bad, &set, err, sizeof err), -1);
	assert_string_equal(err, "bad.scn:2:9: sender is a recipient stack, 'listen-ws-only' (a receive scenario's "
			    "sender is a send stack: see `acklab list`)");
	scenario_free(bad);
	assert_int_equal(scenario_parse_string("bad.scn", "scenario b\nsender htp\nsend m1\nexpect http clean\n", &bad,
					       err, sizeof err), 0);
	assert_int_equal(recipient_check(bad, &set, err, sizeof err), -1);
	assert_string_equal(err, "bad.scn:2:8: unknown stack 'htp' (a receive scenario's sender is a send stack: "
			    "see `acklab list`)");
	scenario_free(bad);
	assert_int_equal(scenario_parse_string("bad.scn", "scenario b\nsender http\nsend m1\nexpect http clean\n", &bad,
					       err, sizeof err), 0);
	assert_int_equal(recipient_check(bad, &set, err, sizeof err), -1);
	assert_string_equal(err, "bad.scn:4:8: 'http' is a send stack, and this is a receive scenario (its columns "
			    "are recipient stacks; the sender is named by 'sender')");
	scenario_free(bad);
	scenario_free(recv);
	scenario_free(send);
	stack_set_free(&set);
	free(sender);       /* their words moved into the set */
	free(rcpt);
}

static void test_plan_of_a_receive_cell(void **state)
{
	struct scenario *s = NULL;
	struct stack *sender, *rcpt;
	struct plan *p = NULL, *q = NULL;
	struct cell_result r;
	char err[512] = "", path[256];

	(void)state;
	write_file("recv.scn", receive_scn);
	write_file("http.stack", sender_text);
	write_file("ws-only.stack", ws_only_text);
	snprintf(path, sizeof path, "%s/recv.scn", dir);
	assert_int_equal(scenario_parse_file(path, &s, err, sizeof err), 0);
	snprintf(path, sizeof path, "%s/http.stack", dir);
	assert_int_equal(stack_parse_file(path, &sender, err, sizeof err), 0);
	snprintf(path, sizeof path, "%s/ws-only.stack", dir);
	assert_int_equal(stack_parse_file(path, &rcpt, err, sizeof err), 0);
	if (plan_make_receive(s, sender, rcpt, 0x5f2c, 7, &p, err, sizeof err) != 0)
		fail_msg("plan_make_receive: %s", err);
	assert_string_equal(p->cell, "recv/listen-ws-only");
	assert_string_equal(p->sender, "http");
	assert_string_equal(p->st->name, "listen-ws-only");
	assert_string_equal(p->st->client.words[4], "http");
	assert_string_equal(p->na, "");                 /* failpoints from the sender, {heartbeat-ms} in the listener */
	assert_string_equal(json_string_value(json_object_get(p->doc, "stack_name")), "listen-ws-only");
	assert_string_equal(json_string_value(json_object_get(p->doc, "sender_name")), "http");
	assert_string_equal(json_string_value(json_object_get(json_object_get(p->doc, "stack"), "text")), sender_text);
	assert_string_equal(json_string_value(json_object_get(json_object_get(p->doc, "recipient"), "text")),
			    ws_only_text);

	/* Written, the files changed, and loaded back: the same plan, from its own text. */
	snprintf(path, sizeof path, "%s/plan.json", dir);
	assert_int_equal(plan_write(p, path, err, sizeof err), 0);
	write_file("ws-only.stack", "stack other\nkind recipient\nlisten x\n");
	assert_int_equal(plan_load(path, &q, err, sizeof err), 0);
	assert_true(json_equal(p->doc, q->doc));
	assert_string_equal(q->sender, "http");
	assert_string_equal(q->st->listen.words[5], "--catchup");
	plan_free(q);

	/* The check stage names the sender (the cell never ran: not run). */
	assert_int_equal(check_cell_dir(NULL, dir, &r, err, sizeof err), 0);
	assert_string_equal(r.stack, "listen-ws-only");
	assert_string_equal(r.sender, "http");
	assert_int_equal(r.status, CELL_NOT_RUN);
	cell_result_release(&r);

	/* Only a send stack and a recipient stack make a receive cell. */
	plan_free(p);
	assert_int_equal(plan_make_receive(s, sender, sender, 1, 1, &p, err, sizeof err), -1);
	assert_non_null(strstr(err, "pairs a send stack with a recipient stack, not http with http"));
	scenario_free(s);
	stack_free(sender);
	stack_free(rcpt);
}

static void test_matrix_sides(void **state)
{
	struct cell_result cells[4];
	struct report_matrix m;

	(void)state;
	memset(cells, 0, sizeof cells);
	strcpy(cells[0].scenario, "lost-ack");
	strcpy(cells[0].stack, "http");
	strcpy(cells[1].scenario, "receive-cut");
	strcpy(cells[1].stack, "listen-ws-only");
	strcpy(cells[1].sender, "http");
	strcpy(cells[2].scenario, "receive-cut");
	strcpy(cells[2].stack, "listen-catchup");
	strcpy(cells[2].sender, "http");
	strcpy(cells[3].scenario, "lost-ack");
	strcpy(cells[3].stack, "ws-ack");
	report_matrix_build_side(&m, cells, 4, REPORT_SEND);
	assert_int_equal(m.nrows, 1);
	assert_int_equal(m.ncols, 2);
	assert_string_equal(m.cols[1], "ws-ack");
	assert_null(m.sender);
	report_matrix_build_side(&m, cells, 4, REPORT_RECEIVE);
	assert_int_equal(m.nrows, 1);
	assert_string_equal(m.rows[0], "receive-cut");
	assert_int_equal(m.ncols, 2);
	assert_string_equal(m.cols[0], "listen-ws-only");
	assert_string_equal(m.sender, "http");
	report_matrix_build(&m, cells, 4);
	assert_int_equal(m.nrows, 2);
	assert_int_equal(m.ncols, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recipient_stack_parse),
		cmocka_unit_test(test_compose),
		cmocka_unit_test(test_pairs_and_check),
		cmocka_unit_test_setup_teardown(test_plan_of_a_receive_cell, setup, teardown),
		cmocka_unit_test(test_matrix_sides),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
