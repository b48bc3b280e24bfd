/*
 * Fuzz program for chatc's stdin protocol (fixtures/chatc/protocol.c): the
 * input is what acklab, or anyone, writes to a client's stdin. It is fed
 * through proto_lines_feed() in small pieces (so lines cross the pieces,
 * as they cross read() calls), then proto_lines_finish(); each line goes
 * to proto_parse() and to proto_read_cmd() as a send mode calls it, with
 * the accepted ids kept in flight so duplicate_id is reached too. chatc's
 * stdout, where proto_read_cmd() reports a refused line, is a memfd here,
 * read back after every input.
 *
 * Contract checked beyond the sanitizers (docs/protocol.md): lines are
 * numbered from 1 without gaps; proto_parse() answers 1 with id, channel
 * and text, 0 only for a blank line, or -1 with "line N: ..."; a refused
 * line gives exactly one {"ev":"error"} event whose "detail" is that
 * message, an accepted or blank one gives none; every event is one JSON
 * object on one line.
 */
#include "fuzz.h"

#include <jansson.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../fixtures/chatc/protocol.h"

#define IN_FLIGHT_MAX 4

struct reader {
	char *in_flight[IN_FLIGHT_MAX];   /* accepted ids, oldest first */
	int n;
	long last_lineno;
	int errors_expected;
};

static int out_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	out_fd = memfd_create("chatc-stdout", 0);
	fflush(stdout);
	if (out_fd < 0 || dup2(out_fd, STDOUT_FILENO) != STDOUT_FILENO) {
		perror("chatc_protocol: memfd for stdout");
		abort();
	}
	return 0;
}

static int is_in_flight(void *arg, const char *id)
{
	struct reader *r = arg;

	for (int i = 0; i < r->n; i++)
		if (strcmp(r->in_flight[i], id) == 0)
			return 1;
	return 0;
}

/* An accepted id goes in flight; the oldest one "finishes" when the list is full. */
static void put_in_flight(struct reader *r, const char *id)
{
	if (r->n == IN_FLIGHT_MAX) {
		free(r->in_flight[0]);
		memmove(r->in_flight, r->in_flight + 1, sizeof(r->in_flight[0]) * (IN_FLIGHT_MAX - 1));
		r->n--;
	}
	r->in_flight[r->n] = strdup(id);
	if (r->in_flight[r->n])
		r->n++;
}

static void on_line(void *arg, const char *line, size_t len, long lineno)
{
	struct reader *r = arg;
	struct proto_cmd cmd;
	char err[256] = "", want[32];
	int parsed, read;
	bool flying;

	FUZZ_CHECK(lineno == r->last_lineno + 1, "line %ld after line %ld", lineno, r->last_lineno);
	FUZZ_CHECK(!memchr(line, '\n', len), "line %ld holds a newline", lineno);
	r->last_lineno = lineno;

	parsed = proto_parse(line, len, lineno, &cmd, err, sizeof err);
	FUZZ_CHECK(parsed >= -1 && parsed <= 1, "proto_parse returned %d", parsed);
	if (parsed == -1) {
		snprintf(want, sizeof want, "line %ld: ", lineno);
		FUZZ_CHECK(strncmp(err, want, strlen(want)) == 0 && err[strlen(want)], "error '%s'", err);
	}
	if (parsed == 1)
		FUZZ_CHECK(cmd.id && cmd.id[0] && cmd.channel && cmd.channel[0] && cmd.text,
			   "a send without id, channel or text");
	flying = parsed == 1 && is_in_flight(r, cmd.id);
	proto_cmd_clear(&cmd);
	FUZZ_CHECK(!cmd.id && !cmd.channel && !cmd.text, "proto_cmd_clear left strings");

	read = proto_read_cmd(line, len, lineno, is_in_flight, r, &cmd);
	FUZZ_CHECK(read == (parsed == 1 && !flying), "proto_read_cmd %d where proto_parse %d, in flight %d",
		   read, parsed, flying);
	if (parsed == -1 || flying)
		r->errors_expected++;
	if (read == 1)
		put_in_flight(r, cmd.id);
	proto_cmd_clear(&cmd);
}

/* What proto_read_cmd printed: only error events, one per refused line, each with its detail. */
static void check_stdout(const struct reader *r)
{
	off_t size = lseek(out_fd, 0, SEEK_CUR);
	char *out = size > 0 ? malloc((size_t)size + 1) : NULL;
	int events = 0;

	if (size > 0 && (!out || pread(out_fd, out, (size_t)size, 0) != size)) {
		free(out);
		return;
	}
	if (out)
		out[size] = '\0';
	for (char *line = out, *nl; line && *line; line = nl + 1) {
		json_error_t jerr;
		json_t *ev;
		const char *error, *detail;

		nl = strchr(line, '\n');
		FUZZ_CHECK(nl, "an event without its newline: %s", line);
		ev = json_loadb(line, (size_t)(nl - line), 0, &jerr);
		FUZZ_CHECK(json_is_object(ev), "event is not a JSON object (%s): %.*s", jerr.text,
			   (int)(nl - line), line);
		error = json_string_value(json_object_get(ev, "error"));
		detail = json_string_value(json_object_get(ev, "detail"));
		FUZZ_CHECK(strcmp(json_string_value(json_object_get(ev, "ev")), "error") == 0 &&
			   json_is_integer(json_object_get(ev, "t")), "not an error event: %.*s",
			   (int)(nl - line), line);
		FUZZ_CHECK(error && (strcmp(error, "bad_command") == 0 || strcmp(error, "duplicate_id") == 0),
			   "error '%s'", error ? error : "(none)");
		FUZZ_CHECK(detail && strncmp(detail, "line ", 5) == 0, "an error event without its detail: %.*s",
			   (int)(nl - line), line);
		json_decref(ev);
		events++;
	}
	FUZZ_CHECK(events == r->errors_expected, "%d error events for %d refused lines", events,
		   r->errors_expected);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_lines lb = { 0 };
	struct reader r = { 0 };
	size_t piece = 1 + size % 13, at;

	fflush(stdout);
	if (ftruncate(out_fd, 0) == -1 || lseek(out_fd, 0, SEEK_SET) == -1)
		abort();
	for (at = 0; at < size; at += piece) {
		size_t n = size - at < piece ? size - at : piece;

		FUZZ_CHECK(proto_lines_feed(&lb, (const char *)data + at, n, on_line, &r) == 0, "feed failed");
	}
	proto_lines_finish(&lb, on_line, &r);
	FUZZ_CHECK(lb.len == 0, "%zu bytes left after finish", lb.len);
	proto_lines_free(&lb);
	fflush(stdout);
	check_stdout(&r);
	for (int i = 0; i < r.n; i++)
		free(r.in_flight[i]);
	return 0;
}
