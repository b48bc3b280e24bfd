/*
 * Fuzz program for chatd's request validation of a send
 * (fixtures/chatd/validate.c): the same bytes go in as a chat.postMessage
 * body (validate_http_send) and as a WebSocket frame (validate_ws_frame),
 * against the channels "general,random" that chatd runs with.
 *
 * Contract checked beyond the sanitizers, from validate.h: a refusal comes
 * with one of the documented error codes and its HTTP status; an accepted
 * send has a known channel, non-empty text within CHAT_TEXT_MAX, a user,
 * and a client_msg_id only when one was given; an over-long body is refused
 * before it is parsed.
 */
#include "fuzz.h"

#include "../../fixtures/chatd/validate.h"

static struct chat_channels channels;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	if (validate_channels("general,random", &channels, err, sizeof err) == -1) {
		fprintf(stderr, "chatd_send: %s\n", err);
		abort();
	}
	return 0;
}

static bool is_code(const char *code, const char *const *codes)
{
	for (int i = 0; code && codes[i]; i++)
		if (strcmp(code, codes[i]) == 0)
			return true;
	return false;
}

static void check_msg(const struct chat_msg *m)
{
	FUZZ_CHECK(FUZZ_TERMINATED(m->channel) && validate_channel_known(&channels, m->channel),
		   "unknown channel '%.80s'", m->channel);
	FUZZ_CHECK(FUZZ_TERMINATED(m->text) && m->text[0], "empty text");
	FUZZ_CHECK(FUZZ_TERMINATED(m->user) && m->user[0], "no user");
	FUZZ_CHECK(FUZZ_TERMINATED(m->cmid), "unterminated client_msg_id");
	FUZZ_CHECK(m->has_cmid ? m->cmid[0] != '\0' : m->cmid[0] == '\0', "has_cmid %d with '%s'",
		   m->has_cmid, m->cmid);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const http_codes[] = { "invalid_json", "invalid_arguments", "msg_too_long",
						  "invalid_client_msg_id", "channel_not_found",
						  "request_too_large", NULL };
	const char *body = (const char *)data, *code = NULL;
	enum validate_ws_kind kind = VALIDATE_WS_MESSAGE;
	struct chat_msg *m = malloc(sizeof *m);
	int status;

	if (!m)
		return 0;
	status = validate_http_send(body, size, &channels, m, &code);
	if (status == 0) {
		check_msg(m);
	} else {
		FUZZ_CHECK(is_code(code, http_codes), "http: status %d with code '%s'", status,
			   code ? code : "(none)");
		FUZZ_CHECK(status == (strcmp(code, "channel_not_found") == 0 ? 404 :
				      strcmp(code, "request_too_large") == 0 ? 413 : 400),
			   "http: status %d for %s", status, code);
		FUZZ_CHECK(size > CHAT_BODY_MAX || strcmp(code, "request_too_large") != 0,
			   "%zu bytes called too large", size);
	}

	code = NULL;
	if (validate_ws_frame(body, size, &channels, m, &kind, &code) == 0) {
		FUZZ_CHECK(m->has_id, "an accepted frame without an id");
		FUZZ_CHECK(kind == VALIDATE_WS_MESSAGE || kind == VALIDATE_WS_PING, "kind %d", kind);
		if (kind == VALIDATE_WS_MESSAGE)
			check_msg(m);
	} else {
		FUZZ_CHECK(is_code(code, http_codes), "ws: code '%s'", code ? code : "(none)");
	}
	free(m);
	return 0;
}
