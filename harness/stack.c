/*
 * stack: reads .stack files (the format is in stack.h); stack_expand.c
 * turns their command templates into argv vectors. The parser keeps each command as
 * template words with their line, and expansion happens only when the
 * runner knows the addresses, ports and settings of a cell; which
 * placeholders exist is known beforehand, so a word naming another is an
 * error when the file is read, with its column, and `acklab check` and
 * `acklab run` both refuse it before anything starts.
 *
 * Words are split on blanks; "double quoted" words may hold blanks; '#' at
 * the start of a word begins a comment (so URLs with '#' inside survive).
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"

#include "capability.h"
#include "outdir.h"
#include "util.h"

#define STACK_LINE_MAX 4096

struct stack_word {
	char text[1024];
	int col;
	bool quoted;
};

static int stack_err(char *err, size_t errlen, const char *file, int line, int col,
		     const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int stack_err(char *err, size_t errlen, const char *file, int line, int col,
		     const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(err, errlen, "%s:%d:%d: %s", file, line, col, msg);
}

/* Split one line; returns the number of words or -1 with err. */
static int stack_split(const char *file, int lineno, const char *line, struct stack_word *w,
		       int max, char *err, size_t errlen)
{
	const char *c = line;
	int n = 0;

	for (;;) {
		size_t len = 0;
		bool quoted;

		while (*c == ' ' || *c == '\t' || *c == '\r')
			c++;
		if (!*c || *c == '#')
			return n;
		if (n == max)
			return stack_err(err, errlen, file, lineno, (int)(c - line) + 1,
					 "too many words (at most %d)", max - 1);
		w[n].col = (int)(c - line) + 1;
		quoted = *c == '"';
		w[n].quoted = quoted;
		if (quoted)
			c++;
		for (; *c && (quoted ? *c != '"' : (*c != ' ' && *c != '\t' && *c != '\r')); c++) {
			if (quoted && *c == '\\' && (c[1] == '"' || c[1] == '\\'))
				c++;
			if (len + 1 >= sizeof(w[n].text))
				return stack_err(err, errlen, file, lineno, w[n].col, "word too long");
			w[n].text[len++] = *c;
		}
		if (quoted) {
			if (*c != '"')
				return stack_err(err, errlen, file, lineno, w[n].col,
						 "unterminated string (expected a closing '\"' on the same line)");
			c++;
		}
		w[n].text[len] = '\0';
		n++;
	}
}

static void stack_cmd_clear(struct stack_cmd *cmd)
{
	int i;

	for (i = 0; i < cmd->nwords; i++)
		free(cmd->words[i]);
	cmd->nwords = 0;
}

void stack_free(struct stack *s)
{
	if (!s)
		return;
	stack_cmd_clear(&s->client);
	stack_cmd_clear(&s->listen);
	stack_cmd_clear(&s->server);
	stack_cmd_clear(&s->store);
	stack_cmd_clear(&s->requires);
	stack_cmd_clear(&s->bot);
	stack_cmd_clear(&s->bot_store);
	stack_cmd_clear(&s->setup);
	stack_expects_free(s);
	free(s);
}

/*
 * offers WORD...: what the stack can do for scenarios (capability.h). "needs"
 * is the old spelling of the same statement and reads the same.
 */
static int stack_offers(struct stack *s, const char *file, int lineno, struct stack_word *w, int n,
			char *err, size_t errlen)
{
	if (n < 2)
		return stack_err(err, errlen, file, lineno, w[0].col,
				 "missing capability after '%s' (expected failpoints, events, restart, "
				 "catchup, bot-http or bot-websocket)", w[0].text);
	for (int i = 1; i < n; i++) {
		unsigned cap = cap_lookup(w[i].text);
		const char *hint = cap ? NULL : cap_suggest(w[i].text);

		if (!cap || cap == CAP_TIMERS || cap == CAP_STORAGE || cap == CAP_REPLICAS || cap == CAP_BOT ||
		    cap == CAP_BOT_FAILPOINTS)
			return stack_err(err, errlen, file, lineno, w[i].col,
					 "unknown capability '%s'%s%s%s (expected failpoints, events, restart, "
					 "catchup, bot-http or bot-websocket; timers, storage and replicas "
					 "follow from the commands' placeholders)",
					 w[i].text, hint ? " (did you mean '" : "", hint ? hint : "",
					 hint ? "'?)" : "");
		s->offers |= cap;
	}
	return 0;
}

/*
 * The placeholders the runner gives every command: the cell's values, then
 * the scenario's client (or, for listen, recipient) settings. A stack file
 * may use no others, which is checked when it is parsed.
 */
static const char *const stack_placeholders[] = {
	"bin", "server", "addr", "port", "dir", "stackdir", "channel", "failpoints", "seed", "role", "instance",
	"instances", "bot",
	"timeout-ms", "attempts", "backoff-base-ms", "backoff-cap-ms", "heartbeat-ms",
	"tcp-user-timeout-ms", "connect-timeout-ms", "tcp-keepalive-ms", NULL,
};

/*
 * The placeholder {name} of a word starting at c ('{'), or NULL: its closing
 * brace. A name is letters, digits, '-' and '_'; anything else between
 * braces is text, so a command can hold JSON (curl -d '{"user":"alice"}').
 */
const char *stack_placeholder_end(const char *c)
{
	const char *close = *c == '{' ? strchr(c, '}') : NULL;

	if (!close || close == c + 1)
		return NULL;
	for (const char *q = c + 1; q < close; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
		      *q == '-' || *q == '_'))
			return NULL;
	return close;
}

/* Every {name} in a command word must be one the runner gives; {failpoints} stands alone. */
static int stack_check_placeholders(const char *file, int lineno, const struct stack_word *w, char *err,
				    size_t errlen)
{
	int base = w->col + (w->quoted ? 1 : 0);

	for (const char *c = w->text; *c; c++) {
		const char *close = stack_placeholder_end(c);
		const char *best = NULL, *name = c + 1;
		size_t len;
		int best_d, i, col = base + (int)(c - w->text);

		if (!close)
			continue;
		len = (size_t)(close - name);
		best_d = len >= 6 ? 4 : 3;      /* {timeout} for {timeout-ms} is a typo, {x} for {dir} is not */
		for (i = 0; stack_placeholders[i]; i++)
			if (strlen(stack_placeholders[i]) == len && strncmp(stack_placeholders[i], name, len) == 0)
				break;
		if (stack_placeholders[i]) {
			if (strcmp(stack_placeholders[i], "failpoints") == 0 && strcmp(w->text, "{failpoints}") != 0)
				return stack_err(err, errlen, file, lineno, col, "{failpoints} must be a word of its "
						 "own (it becomes the two words --failpoints SPEC, or nothing)");
			c = close;
			continue;
		}
		for (i = 0; stack_placeholders[i] && len < 64; i++) {
			char cand[64];
			int d;

			snprintf(cand, sizeof(cand), "%.*s", (int)len, name);
			d = edit_distance(cand, stack_placeholders[i]);
			if (d < best_d && d < (int)len) {
				best_d = d;
				best = stack_placeholders[i];
			}
		}
		if (best)
			return stack_err(err, errlen, file, lineno, col,
					 "unknown placeholder {%.*s} (did you mean {%s}?)", (int)len, name, best);
		return stack_err(err, errlen, file, lineno, col,
				 "unknown placeholder {%.*s} (expected one of {bin} {server} {addr} {port} {dir} "
				 "{stackdir} {channel} {failpoints} {seed} {role} or a client setting like "
				 "{timeout-ms})",
				 (int)len, name);
	}
	return 0;
}

/* A requires word is a program name or a path; the only placeholder it may hold is {bin}. */
static int stack_requires_word_bad(const char *file, int lineno, const struct stack_word *w, char *err,
				   size_t errlen)
{
	for (const char *c = strchr(w->text, '{'); c; c = strchr(c + 1, '{'))
		if (strncmp(c, "{bin}", 5) != 0)
			return stack_err(err, errlen, file, lineno, w->col + (int)(c - w->text),
					 "requires takes only {bin} (a program or a file must exist before "
					 "any cell runs, when no cell's values are known)");
	return 0;
}

/* The timers a stack (and a scenario) can set: the placeholders from {timeout-ms} on. */
static const char *const *stack_timer_keys(void)
{
	for (int i = 0; stack_placeholders[i]; i++)
		if (strcmp(stack_placeholders[i], "timeout-ms") == 0)
			return &stack_placeholders[i];
	return NULL;
}

/* timers [client|listen] KEY VALUE...: checked against the commands once the file is read. */
static int stack_timers(struct stack *s, const char *file, int lineno, struct stack_word *w, int n,
			char *err, size_t errlen)
{
	const char *const *keys = stack_timer_keys();
	bool client = true, listen = true;
	int i = 1;

	if (n > 1 && (strcmp(w[1].text, "client") == 0 || strcmp(w[1].text, "listen") == 0)) {
		client = w[1].text[0] == 'c';
		listen = !client;
		i = 2;
	}
	if (i >= n)
		return stack_err(err, errlen, file, lineno, w[n - 1].col,
				 "missing timer after '%s' (expected timers [client|listen] KEY VALUE..., e.g. "
				 "timers timeout-ms 1500)", w[n - 1].text);
	for (; i < n; i += 2) {
		struct stack_timer *t;
		const char *best = NULL;
		int k, best_d = 4;
		long v;

		for (k = 0; keys[k] && strcmp(keys[k], w[i].text) != 0; k++) {
			int d = edit_distance(w[i].text, keys[k]);

			if (d < best_d) {
				best_d = d;
				best = keys[k];
			}
		}
		if (!keys[k]) {
			if (best)
				return stack_err(err, errlen, file, lineno, w[i].col,
						 "unknown timer '%s' (did you mean '%s'?)", w[i].text, best);
			return stack_err(err, errlen, file, lineno, w[i].col,
					 "unknown timer '%s' (expected timeout-ms, attempts, backoff-base-ms, "
					 "backoff-cap-ms, heartbeat-ms, tcp-user-timeout-ms, connect-timeout-ms or "
					 "tcp-keepalive-ms)",
					 w[i].text);
		}
		if (i + 1 >= n)
			return stack_err(err, errlen, file, lineno, w[i].col, "missing value after '%s'",
					 w[i].text);
		if (parse_long(w[i + 1].text, 0, 3600000, &v, NULL, 0) == -1)
			return stack_err(err, errlen, file, lineno, w[i + 1].col,
					 "bad value '%s' (expected a number of milliseconds, 0..3600000)",
					 w[i + 1].text);
		if (s->ntimers == STACK_MAX_TIMERS)
			return stack_err(err, errlen, file, lineno, w[i].col, "too many timers (at most %d)",
					 STACK_MAX_TIMERS);
		t = &s->timers[s->ntimers++];
		str_copy(t->key, w[i].text, sizeof t->key);
		t->value = v;
		t->client = client;
		t->listen = listen;
		t->line = lineno;
		t->col = w[i].col;
	}
	return 0;
}

static bool stack_cmd_takes(const struct stack_cmd *cmd, const char *key)
{
	char ph[48];

	snprintf(ph, sizeof ph, "{%s}", key);
	for (int i = 0; i < cmd->nwords; i++)
		if (strstr(cmd->words[i], ph))
			return true;
	return false;
}

/* A timer the stack sets must reach a command: one that takes no {placeholder} for it would ignore it. */
static int stack_check_timers(const struct stack *s, const char *file, char *err, size_t errlen)
{
	for (int i = 0; i < s->ntimers; i++) {
		const struct stack_timer *t = &s->timers[i];
		bool c = stack_cmd_takes(&s->client, t->key), l = stack_cmd_takes(&s->listen, t->key);

		if (t->client && t->listen && !c && !l)
			return stack_err(err, errlen, file, t->line, t->col,
					 "timer '%s' is set, but neither the client nor the listen command takes "
					 "{%s}: it would reach no role", t->key, t->key);
		if ((t->client && !t->listen && !c) || (t->listen && !t->client && !l))
			return stack_err(err, errlen, file, t->line, t->col,
					 "timer '%s' is set for the %s, but the %s command takes no {%s}: it would "
					 "not reach them", t->key, t->client ? "client" : "recipients",
					 t->client ? "client" : "listen", t->key);
	}
	return 0;
}

long stack_timer(const struct stack *s, bool listener, const char *key, int *line)
{
	long v = -1;

	for (int i = 0; i < s->ntimers; i++)
		if (strcmp(s->timers[i].key, key) == 0 && (listener ? s->timers[i].listen : s->timers[i].client)) {
			v = s->timers[i].value;
			if (line)
				*line = s->timers[i].line;
		}
	return v;
}

/* One statement; w[0] is the keyword. */
static int stack_statement(struct stack *s, const char *file, int lineno, struct stack_word *w,
			   int n, char *err, size_t errlen)
{
	struct stack_cmd *cmd = NULL;
	const char *kw = w[0].text;
	long port;
	int i;

	if (strcmp(kw, "client") == 0)
		cmd = &s->client;
	else if (strcmp(kw, "listen") == 0)
		cmd = &s->listen;
	else if (strcmp(kw, "server") == 0)
		cmd = &s->server;
	else if (strcmp(kw, "store") == 0)
		cmd = &s->store;
	else if (strcmp(kw, "requires") == 0)
		cmd = &s->requires;
	else if (strcmp(kw, "bot") == 0)
		cmd = &s->bot;
	else if (strcmp(kw, "bot-store") == 0)
		cmd = &s->bot_store;
	else if (strcmp(kw, "setup") == 0)
		cmd = &s->setup;
	if (cmd) {
		if (cmd->nwords)
			return stack_err(err, errlen, file, lineno, w[0].col,
					 "second '%s' command (the first is at line %d)", kw, cmd->line);
		if (n < 2)
			return stack_err(err, errlen, file, lineno, w[0].col,
					 "missing command (expected: %s PROGRAM ARGS...)", kw);
		for (i = 1; i < n; i++) {
			if (stack_check_placeholders(file, lineno, &w[i], err, errlen) == -1)
				return -1;
			if (cmd == &s->requires && stack_requires_word_bad(file, lineno, &w[i], err, errlen))
				return -1;
			cmd->words[cmd->nwords] = strdup(w[i].text);
			if (!cmd->words[cmd->nwords])
				return err_set(err, errlen, "%s: out of memory", file);
			cmd->nwords++;
		}
		cmd->line = lineno;
		return 0;
	}
	if (strcmp(kw, "offers") == 0 || strcmp(kw, "needs") == 0)
		return stack_offers(s, file, lineno, w, n, err, errlen);
	if (strcmp(kw, "timers") == 0)
		return stack_timers(s, file, lineno, w, n, err, errlen);
	if (n != 2)
		return stack_err(err, errlen, file, lineno, n > 2 ? w[2].col : w[0].col,
				 n > 2 ? "unexpected '%s' (expected one value)" :
					 "missing value after '%s'",
				 n > 2 ? w[2].text : kw);
	if (strcmp(kw, "stack") == 0) {
		if (!outdir_name_ok(w[1].text))
			return stack_err(err, errlen, file, lineno, w[1].col,
					 "bad stack name '%s' (expected lowercase letters, digits, '-' and "
					 "'_', starting with a letter or digit)", w[1].text);
		if (strlen(w[1].text) >= sizeof(s->name))
			return stack_err(err, errlen, file, lineno, w[1].col, "stack name too long");
		str_copy(s->name, w[1].text, sizeof(s->name));
	} else if (strcmp(kw, "describe") == 0) {
		str_copy(s->describe, w[1].text, sizeof(s->describe));
	} else if (strcmp(kw, "port") == 0) {
		if (parse_long(w[1].text, 1, 65535, &port, NULL, 0) == -1)
			return stack_err(err, errlen, file, lineno, w[1].col,
					 "bad port '%s' (expected a number 1..65535)", w[1].text);
		s->port = (int)port;
	} else if (strcmp(kw, "ready") == 0) {
		if (strcmp(w[1].text, "line") != 0 && strcmp(w[1].text, "port") != 0)
			return stack_err(err, errlen, file, lineno, w[1].col,
					 "bad readiness '%s' (expected line or port)", w[1].text);
		s->ready_port = strcmp(w[1].text, "port") == 0;
	} else if (strcmp(kw, "setup-timeout-ms") == 0) {
		long ms;

		if (parse_long(w[1].text, 1, 600000, &ms, NULL, 0) == -1)
			return stack_err(err, errlen, file, lineno, w[1].col,
					 "bad setup timeout '%s' (expected milliseconds, 1..600000)", w[1].text);
		s->setup_timeout_ms = (int)ms;
	} else if (strcmp(kw, "order") == 0) {
		long order;

		if (parse_long(w[1].text, 0, 9999, &order, NULL, 0) == -1)
			return stack_err(err, errlen, file, lineno, w[1].col,
					 "bad order '%s' (expected a number 0..9999)", w[1].text);
		s->order = (int)order;
	} else if (strcmp(kw, "kind") == 0) {
		if (strcmp(w[1].text, "send") != 0 && strcmp(w[1].text, "recipient") != 0)
			return stack_err(err, errlen, file, lineno, w[1].col,
					 "bad kind '%s' (expected send or recipient)", w[1].text);
		s->recipient = strcmp(w[1].text, "recipient") == 0;
		s->kind_line = lineno;
	} else if (strcmp(kw, "default") == 0) {
		if (strcmp(w[1].text, "yes") != 0 && strcmp(w[1].text, "no") != 0)
			return stack_err(err, errlen, file, lineno, w[1].col,
					 "bad value '%s' (expected yes or no)", w[1].text);
		s->is_default = strcmp(w[1].text, "yes") == 0;
	} else {
		return stack_err(err, errlen, file, lineno, w[0].col,
				 "unknown statement '%s' (expected stack, describe, kind, client, listen, "
				 "server, store, bot, bot-store, setup, setup-timeout-ms, requires, port, ready, offers, "
				 "timers, order, default or expect)", kw);
	}
	return 0;
}

/* Matrix columns: by order, then by name. */
static int stack_cmp_order(const void *a, const void *b)
{
	const struct stack *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->name, y->name);
}

int stack_parse_string(const char *name, const char *text, struct stack **out, char *err,
		       size_t errlen)
{
	struct stack_word *w = NULL;
	struct stack *s = NULL;
	const char *line = text;
	char buf[STACK_LINE_MAX];
	int lineno = 0, rc = -1, n;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	w = calloc(STACK_MAX_ARGS + 1, sizeof(*w));
	if (!s || !w) {
		err_set(err, errlen, "%s: out of memory", name);
		goto done;
	}
	str_copy(s->path, name, sizeof(s->path));
	s->order = 100;
	s->setup_timeout_ms = STACK_SETUP_TIMEOUT_MS;
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		lineno++;
		if (len >= sizeof(buf)) {
			stack_err(err, errlen, name, lineno, 1, "line too long");
			goto done;
		}
		memcpy(buf, line, len);
		buf[len] = '\0';
		line = nl ? nl + 1 : line + len;
		if (utf8_valid_prefix(buf, len) < len) {
			size_t bad = utf8_valid_prefix(buf, len);

			stack_err(err, errlen, name, lineno, (int)bad + 1,
				  "invalid UTF-8 (byte 0x%02x; stack files are UTF-8 text)", (unsigned char)buf[bad]);
			goto done;
		}
		n = stack_split(name, lineno, buf, w, STACK_MAX_ARGS + 1, err, errlen);
		if (n < 0)
			goto done;
		if (n == 0)
			continue;
		if (!s->name[0] && strcmp(w[0].text, "stack") != 0) {
			stack_err(err, errlen, name, lineno, w[0].col,
				  "'%s' before 'stack' (expected 'stack NAME' first)", w[0].text);
			goto done;
		}
		if (s->name[0] && strcmp(w[0].text, "stack") == 0) {
			stack_err(err, errlen, name, lineno, w[0].col, "second 'stack' statement");
			goto done;
		}
		if (strcmp(w[0].text, "expect") == 0) {
			if (stack_expect_add(s, name, lineno, buf, err, errlen) == -1)
				goto done;
			continue;
		}
		if (stack_statement(s, name, lineno, w, n, err, errlen) == -1)
			goto done;
	}
	if (!s->name[0]) {
		stack_err(err, errlen, name, lineno ? lineno : 1, 1, "empty stack file (expected 'stack NAME' first)");
		goto done;
	}
	if (s->recipient) {
		/* The sender comes from the scenario; a server of its own must be a whole one. */
		bool own = s->server.nwords || s->store.nwords || s->port;

		if (s->client.nwords) {
			stack_err(err, errlen, name, s->client.line, 1, "a recipient stack has no 'client' line "
				  "(its cells run the receive scenario's sender; kind at line %d)", s->kind_line);
			goto done;
		}
		if (!s->listen.nwords || (own && (!s->server.nwords || !s->store.nwords || !s->port))) {
			stack_err(err, errlen, name, lineno, 1, "recipient stack '%s' has no '%s' line%s", s->name,
				  !s->listen.nwords ? "listen" : !s->server.nwords ? "server" :
				  !s->store.nwords ? "store" : "port",
				  s->listen.nwords ? " (a server of its own needs server, store and port)" : "");
			goto done;
		}
	} else if (!s->client.nwords || !s->server.nwords || !s->store.nwords || !s->port) {
		stack_err(err, errlen, name, lineno, 1, "stack '%s' has no '%s' line", s->name,
			  !s->client.nwords ? "client" : !s->server.nwords ? "server" :
			  !s->store.nwords ? "store" : "port");
		goto done;
	}
	if (!s->bot.nwords != !s->bot_store.nwords) {
		stack_err(err, errlen, name, s->bot.nwords ? s->bot.line : s->bot_store.line, 1,
			  "stack '%s' has a '%s' line and no '%s' line (a bot's record is read back like the store)",
			  s->name, s->bot.nwords ? "bot" : "bot-store", s->bot.nwords ? "bot-store" : "bot");
		goto done;
	}
	if (stack_check_timers(s, name, err, errlen) == -1)
		goto done;
	*out = s;
	s = NULL;
	rc = 0;
done:
	free(w);
	stack_free(s);
	return rc;
}

int stack_parse_file(const char *path, struct stack **out, char *err, size_t errlen)
{
	char *text = file_read_text(path, 1 << 20, err, errlen);
	int rc;

	*out = NULL;
	if (!text)
		return -1;
	rc = stack_parse_string(path, text, out, err, errlen);
	free(text);
	return rc;
}

static int stack_cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int stack_load_dir(const char *dir, struct stack_set *out, char *err, size_t errlen)
{
	char **names = NULL, path[1024];
	size_t nnames = 0, cap = 0, i;
	struct dirent *de;
	DIR *d;
	int rc = -1, j;

	memset(out, 0, sizeof(*out));
	d = opendir(dir);
	if (!d)
		return err_set(err, errlen, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l <= 6 || strcmp(de->d_name + l - 6, ".stack") != 0 || de->d_name[0] == '.')
			continue;
		if (nnames == cap) {
			char **t = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*names));

			if (!t)
				goto oom;
			names = t;
		}
		if (!(names[nnames] = strdup(de->d_name)))
			goto oom;
		nnames++;
	}
	if (nnames == 0) {
		err_set(err, errlen, "%s: no *.stack files", dir);
		goto done;
	}
	qsort(names, nnames, sizeof(*names), stack_cmp_name);
	out->stacks = calloc(nnames, sizeof(*out->stacks));
	if (!out->stacks)
		goto oom;
	for (i = 0; i < nnames; i++) {
		struct stack *s;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stack_parse_file(path, &s, err, errlen) == -1)
			goto done;
		for (j = 0; j < out->n; j++)
			if (strcmp(out->stacks[j].name, s->name) == 0) {
				err_set(err, errlen, "%s: stack '%s' is also defined in %s", path,
					s->name, out->stacks[j].path);
				stack_free(s);
				goto done;
			}
		/* Move the stack into the array; its words change owner with it. */
		out->stacks[out->n++] = *s;
		free(s);
	}
	qsort(out->stacks, out->n, sizeof(*out->stacks), stack_cmp_order);
	rc = 0;
	goto done;
oom:
	err_set(err, errlen, "%s: out of memory", dir);
done:
	if (rc == -1)
		stack_set_free(out);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

void stack_set_free(struct stack_set *set)
{
	int i;

	if (!set)
		return;
	for (i = 0; i < set->n; i++) {
		stack_cmd_clear(&set->stacks[i].client);
		stack_cmd_clear(&set->stacks[i].listen);
		stack_cmd_clear(&set->stacks[i].server);
		stack_cmd_clear(&set->stacks[i].store);
		stack_cmd_clear(&set->stacks[i].requires);
		stack_cmd_clear(&set->stacks[i].bot);
		stack_cmd_clear(&set->stacks[i].bot_store);
		stack_cmd_clear(&set->stacks[i].setup);
		stack_expects_free(&set->stacks[i]);
	}
	free(set->stacks);
	set->stacks = NULL;
	set->n = 0;
}

struct stack *stack_find(struct stack_set *set, const char *name)
{
	int i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->stacks[i].name, name) == 0)
			return &set->stacks[i];
	return NULL;
}
