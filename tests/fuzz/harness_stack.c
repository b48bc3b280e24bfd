/*
 * Fuzz program for the stack parser and its template expansion
 * (harness/stack.c). The input is the text of a .stack file, given to
 * stack_parse_string(), which is what stack_parse_file() calls once it has
 * read a file; inputs holding a NUL byte are refused up front, as the file
 * reader refuses them. A stack that parses has every command expanded the
 * way a cell expands it (cell_roles.c's placeholders, once without and once
 * with failpoints), because a stack file is only fully checked then.
 *
 * Contract checked beyond the sanitizers: a parse error says where
 * ("fuzz.stack:LINE:COL: what", inside the input); a parsed stack has a
 * name, a port, client, server and store commands; an expansion error
 * names the stack file and the command's line; an expanded argv is
 * NULL-terminated with at most two words per template word.
 */
#include "fuzz.h"

#include "../../harness/stack.h"

#define FUZZ_NAME "fuzz.stack"

static void check_expand(const struct stack *s, const struct stack_cmd *cmd, const char *failpoints)
{
	static const char *const fixed[] = {
		"bin", "/opt/acklab/bin", "server", "198.18.2.2", "addr", "198.18.2.2", "port", "8080",
		"dir", "reports/x/lost-ack/http", "channel", "general", "seed", "1", "role", "client",
		"timeout-ms", "300", "attempts", "6", "backoff-base-ms", "25", "backoff-cap-ms", "200",
		"heartbeat-ms", "0", "tcp-user-timeout-ms", "0", "connect-timeout-ms", "300",
		"tcp-keepalive-ms", "0", "stackdir", "/home/vendor/mychat",
	};
	enum { NFIXED = sizeof fixed / sizeof fixed[0] };
	const char *vars[NFIXED + 3];
	char err[1024] = "", where[600];
	char **argv = (char **)1;
	int n = 0;

	memcpy(vars, fixed, sizeof fixed);
	vars[NFIXED] = "failpoints";
	vars[NFIXED + 1] = failpoints;
	vars[NFIXED + 2] = NULL;
	if (stack_expand(s, cmd, vars, &argv, err, sizeof err) == -1) {
		FUZZ_CHECK(argv == NULL, "failed expansion left argv set");
		snprintf(where, sizeof where, "%s:%d: ", FUZZ_NAME, cmd->line);
		FUZZ_CHECK(strncmp(err, where, strlen(where)) == 0 && err[strlen(where)],
			   "expansion error does not say where: '%s'", err);
		return;
	}
	FUZZ_CHECK(argv != NULL, "expansion without argv");
	while (argv[n])
		n++;
	FUZZ_CHECK(n <= 2 * cmd->nwords, "%d words from %d", n, cmd->nwords);
	stack_argv_free(argv);
}

static void check_stack(const struct stack *s)
{
	const struct stack_cmd *cmds[] = { &s->client, &s->listen, &s->server, &s->store, &s->setup };

	FUZZ_CHECK(FUZZ_TERMINATED(s->name) && s->name[0], "no name");
	FUZZ_CHECK(FUZZ_TERMINATED(s->describe) && FUZZ_TERMINATED(s->path), "unterminated");
	FUZZ_CHECK(s->port >= 1 && s->port <= 65535, "port %d", s->port);
	FUZZ_CHECK(s->client.nwords && s->server.nwords && s->store.nwords, "a command is missing");
	FUZZ_CHECK(s->setup_timeout_ms >= 1 && s->setup_timeout_ms <= 600000, "setup timeout %d", s->setup_timeout_ms);
	FUZZ_CHECK(s->ntimers >= 0 && s->ntimers <= STACK_MAX_TIMERS, "%d timers", s->ntimers);
	for (int i = 0; i < s->nexpects; i++) {
		FUZZ_CHECK(s->expects[i].line >= 1 && s->expects[i].text, "expect %d: no line", i);
		FUZZ_CHECK(stack_expect_for(s, s->expects[i].scenario) == &s->expects[i], "expect %d: not found again", i);
	}
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		const struct stack_cmd *c = cmds[i];

		FUZZ_CHECK(c->nwords >= 0 && c->nwords <= STACK_MAX_ARGS, "%d words", c->nwords);
		for (int w = 0; w < c->nwords; w++)
			FUZZ_CHECK(c->words[w] != NULL, "word %d is NULL", w);
		if (!c->nwords)
			continue;
		FUZZ_CHECK(c->line >= 1, "command at line %d", c->line);
		check_expand(s, c, "");
		check_expand(s, c, "before-persist=crash");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stack *s = (struct stack *)1;     /* not NULL: a failed parse must reset it */
	char err[1024] = "";
	char *text;
	int rc;

	if (memchr(data, '\0', size))
		return -1;            /* the file reader refuses these; keep them out of the corpus */
	text = fuzz_text(data, size);
	if (!text)
		return 0;
	rc = stack_parse_string(FUZZ_NAME, text, &s, err, sizeof err);
	if (rc == 0) {
		FUZZ_CHECK(s != NULL, "success without a stack");
		check_stack(s);
	} else {
		FUZZ_CHECK(rc == -1 && s == NULL, "failure returned %d and left *out set", rc);
		fuzz_check_where(err, FUZZ_NAME, text, false);
	}
	stack_free(s);
	free(text);
	return 0;
}
