/*
 * plan: making, writing and loading a cell's plan (plan.h). The scenario's
 * needs are derived here from what it uses, each with the line that needs
 * it, so an "n/a" names its cause; a stack's offers are what it declares,
 * checked against its commands (failpoints need a {failpoints} word in the
 * server's command, a timer the scenario sets needs its {placeholder} in the
 * client's or listener's command, storage is offered by a server's command
 * that names its data folder {dir}).
 */
#include "plan.h"

#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capability.h"
#include "fault_table.h"
#include "outdir.h"
#include "recipient.h"
#include "util.h"
#include "version.h"

const struct plan_timer plan_timers[] = {
	{ "timeout-ms", 1000 }, { "attempts", 5 }, { "backoff-base-ms", 50 },
	{ "backoff-cap-ms", 1000 }, { "heartbeat-ms", 0 }, { "tcp-user-timeout-ms", 0 },
	{ "connect-timeout-ms", 1000 }, { "tcp-keepalive-ms", 0 },
};
const size_t plan_ntimers = ARRAY_LEN(plan_timers);

void plan_sha256_hex(const void *data, size_t len, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	hex[0] = '\0';
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		return;
	for (unsigned int i = 0; i < mdlen && i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
}

/* Events the harness itself records for any role: they need nothing of the stack. */
static bool plan_harness_event(const char *ev)
{
	return strcmp(ev, "ready") == 0 || strcmp(ev, "started") == 0 || strcmp(ev, "exit") == 0;
}

static void plan_need(unsigned *needs, unsigned cap, char (*why)[160], const char *fmt, int line)
{
	int slot = __builtin_ctz(cap);

	if (*needs & cap)
		return;
	*needs |= cap;
	snprintf(why[slot], sizeof why[slot], fmt, line);
}

/* What a fault needs of the stack (its row's needs), each with the line that uses it. */
static void plan_fault_needs(unsigned *needs, char (*why)[160], const struct scn_fault *f, int line)
{
	const struct fault_ops *ops = fault_lookup(f->name);

	for (unsigned bit = 1; ops && bit <= CAP_ALL; bit <<= 1) {
		char fmt[96];

		if (!(ops->needs & bit))
			continue;
		snprintf(fmt, sizeof fmt, "line %%d uses %s, which needs %s", f->name, cap_name(bit));
		plan_need(needs, bit, why, fmt, line);
	}
}

/* What s uses that a stack must offer, with one reason per capability (by bit index). */
static unsigned plan_scenario_needs(const struct scenario *s, char (*why)[160])
{
	unsigned needs = 0;

	if (s->failpoints[0])
		plan_need(&needs, CAP_FAILPOINTS, why, "it arms server failpoints", 0);
	if (s->bot)
		plan_need(&needs, CAP_BOT, why, "it has a bot", 0);
	if (s->bot_failpoints[0])
		plan_need(&needs, CAP_BOT_FAILPOINTS, why, "it arms bot failpoints", 0);
	if (s->bot_over == CAP_BOT_HTTP)
		plan_need(&needs, CAP_BOT_HTTP, why, "its bot gets events by HTTP POSTs that the server "
			  "retries (bot over http)", 0);
	if (s->bot_over == CAP_BOT_WS)
		plan_need(&needs, CAP_BOT_WS, why, "its bot holds a WebSocket to the server (bot over "
			  "websocket)", 0);
	if (s->servers)
		plan_need(&needs, CAP_REPLICAS, why, "it runs several server instances on one store, and "
			  "the server command names no {instance}", 0);
	for (int i = 0; i < s->nrules; i++) {
		const struct scn_rule *r = &s->rules[i];

		if (r->trigger.kind == TRIGGER_EVENT && strcmp(r->trigger.role, "server") == 0 &&
		    !plan_harness_event(r->trigger.ev))
			plan_need(&needs, CAP_EVENTS, why, "line %d fires on a server event line", r->pos.line);
		plan_fault_needs(&needs, why, &r->fault, r->pos.line);
	}
	for (int i = 0; i < s->nsteps; i++) {
		const struct scn_step *st = &s->steps[i];

		if (st->kind == SCN_AWAIT && strcmp(st->role, "server") == 0 && !plan_harness_event(st->ev))
			plan_need(&needs, CAP_EVENTS, why, "line %d awaits a server event line", st->pos.line);
		if (st->kind == SCN_FAULT)
			plan_fault_needs(&needs, why, &st->fault, st->pos.line);
	}
	return needs;
}

static bool plan_cmd_has(const struct stack_cmd *cmd, const char *placeholder)
{
	for (int i = 0; i < cmd->nwords; i++)
		if (strstr(cmd->words[i], placeholder))
			return true;
	return false;
}

/* Why st cannot run s (into na), or leave na empty. */
static void plan_check_fit(struct plan *p)
{
	const struct scenario *s = p->s;
	const struct stack *st = p->st;
	char why[16][160] = { { 0 } }, missing[128];
	unsigned lack;

	p->offers = st->offers;
	if ((p->offers & CAP_FAILPOINTS) && !plan_cmd_has(&st->server, "{failpoints}"))
		p->offers &= ~CAP_FAILPOINTS;
	/* Storage faults act on the server's data folder: a server that names none has no disk to break. */
	if (plan_cmd_has(&st->server, "{dir}"))
		p->offers |= CAP_STORAGE;
	/* A bot is offered by its commands: the bot and the read-back of what it processed. */
	if (st->bot.nwords)
		p->offers |= CAP_BOT;
	if (plan_cmd_has(&st->bot, "{failpoints}"))
		p->offers |= CAP_BOT_FAILPOINTS;
	/* Instances behind a balancer each need to know which they are to share one store. */
	if (plan_cmd_has(&st->server, "{instance}"))
		p->offers |= CAP_REPLICAS;
	p->needs = plan_scenario_needs(s, why);
	lack = p->needs & ~p->offers;
	if (lack) {
		int slot = __builtin_ctz(lack);

		cap_format(lack, missing, sizeof missing);
		snprintf(p->na, sizeof p->na, "stack %s does not offer %s (%s: %s)", st->name, missing,
			 s->path, why[slot]);
		return;
	}
	/* Recipients are listen commands: a send-only stack cannot show what a recipient saw. */
	if (s->recipients > 0 && !st->listen.nwords) {
		snprintf(p->na, sizeof p->na, "stack %s has no listen command, and %s has %d recipient%s (a "
			 "listen command reports what a recipient is shown: docs/protocol.md)", st->name, s->path,
			 s->recipients, s->recipients == 1 ? "" : "s");
		return;
	}
	/* Every timer the scenario sets that a command does not take, at once: a vendor fixes them in one go. */
	for (int pass = 0; pass < 2; pass++) {
		const struct scn_setting *set = pass ? s->listen : s->client;
		const struct stack_cmd *cmd = pass ? &st->listen : &st->client;
		int n = pass ? s->nlisten : s->nclient, nmissing = 0;
		char missing_ph[160] = "";

		for (int i = 0; i < n; i++) {
			char ph[48];

			snprintf(ph, sizeof ph, "{%s}", set[i].key);
			if (plan_cmd_has(cmd, ph))
				continue;
			snprintf(missing_ph + strlen(missing_ph), sizeof missing_ph - strlen(missing_ph), "%s%s",
				 nmissing++ ? " " : "", ph);
		}
		if (nmissing) {
			snprintf(p->na, sizeof p->na, "stack %s: its %s command does not take %s, which %s "
				 "sets", st->name, pass ? "listen" : "client", missing_ph, s->path);
			return;
		}
	}
}

static json_t *plan_settings_json(const long *values)
{
	json_t *o = json_object();

	for (size_t i = 0; i < plan_ntimers; i++)
		json_object_set_new(o, plan_timers[i].key, json_integer(values[i]));
	return o;
}

/* Where each timer's value came from: "stack", "scenario" or "default". */
static json_t *plan_timer_from_json(const char *const *from)
{
	json_t *o = json_object();

	for (size_t i = 0; i < plan_ntimers; i++)
		json_object_set_new(o, plan_timers[i].key, json_string(from[i] ? from[i] : "default"));
	return o;
}

/* The source line number line of text, trimmed, as a JSON string. */
static json_t *plan_source_line(const char *text, int line)
{
	const char *p = text, *end;

	for (int l = 1; l < line && p; l++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return json_string("");
	while (*p == ' ' || *p == '\t')
		p++;
	end = strchr(p, '\n');
	return json_stringn(p, end ? (size_t)(end - p) : strlen(p));
}

static json_t *plan_fault_json(const char *text, const struct scn_fault *f, const char *when,
			       int line)
{
	json_t *args = json_array();

	for (int i = 0; i < f->nargs; i++)
		json_array_append_new(args, json_string(f->args[i]));
	return json_pack("{s:i, s:s, s:s, s:o, s:o}", "line", line, "when", when, "fault",
			 f->name[0] ? f->name : "heal", "args", args, "source", plan_source_line(text, line));
}

/* Every fault in the order the scenario gives it: rules (armed for the whole run), then steps. */
static json_t *plan_faults_json(const struct scenario *s, const char *text)
{
	json_t *a = json_array();

	for (int i = 0; i < s->nrules; i++)
		json_array_append_new(a, plan_fault_json(text, &s->rules[i].fault, "rule",
							 s->rules[i].pos.line));
	for (int i = 0; i < s->nsteps; i++) {
		const struct scn_step *st = &s->steps[i];

		if (st->kind == SCN_FAULT)
			json_array_append_new(a, plan_fault_json(text, &st->fault, "step", st->pos.line));
		else if (st->kind == SCN_HEAL)
			json_array_append_new(a, plan_fault_json(text, &st->fault, "heal", st->pos.line));
	}
	return a;
}

static json_t *plan_file_json(const char *path, const char *text)
{
	char hex[65];

	plan_sha256_hex(text, strlen(text), hex);
	return json_pack("{s:s, s:s, s:s}", "path", path, "sha256", hex, "text", text);
}

/* Which expect line holds for the cell: the stack's own, the scenario's for the stack, its '*'. */
static void plan_pick_expect(struct plan *p)
{
	const struct stack_expect *own = stack_expect_for(p->st, p->s->name);
	const struct scn_expect *e;

	p->expect_by = "none";
	if (own) {
		p->expect = &own->e;
		p->expect_file = p->st->path;
		p->expect_line = own->line;
		p->expect_by = "stack";
		return;
	}
	/* '*' holds for every stack the scenario does not name: which stacks run is another matter. */
	e = scenario_expect_for(p->s, p->st->name, true);
	if (!e)
		return;
	p->expect = e;
	p->expect_file = p->s->path;
	p->expect_line = e->pos.line;
	p->expect_by = strcmp(e->stack, "*") == 0 ? "scenario *" : "scenario";
}

/*
 * The folder of the stack file at path, absolute, into out ({stackdir}):
 * its commands may name scripts beside it, from any working folder. The
 * folder exists when a plan is made; when it does not (a plan loaded on
 * another machine), it is made absolute by the working folder alone.
 */
static void plan_stackdir(const char *path, char *out, size_t len)
{
	char folder[PATH_MAX], real[PATH_MAX], cwd[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (!slash)
		str_copy(folder, ".", sizeof folder);
	else if (slash == path)
		str_copy(folder, "/", sizeof folder);
	else
		snprintf(folder, sizeof folder, "%.*s", (int)(slash - path), path);
	if (realpath(folder, real))
		str_copy(out, real, len);
	else if (folder[0] != '/' && getcwd(cwd, sizeof cwd))
		snprintf(out, len, "%s/%s", cwd, folder);
	else
		str_copy(out, folder, len);
}

/* Fill the derived fields of p from p->s, p->st, nonce and seed. */
static int plan_resolve(struct plan *p, char *err, size_t errlen)
{
	const struct scenario *s = p->s;

	snprintf(p->cell, sizeof p->cell, "%s/%s", s->name, p->st->name);
	if (!p->stackdir[0])
		plan_stackdir(p->st->path, p->stackdir, sizeof p->stackdir);
	p->tokens = calloc((size_t)s->nmsgs + 1, sizeof *p->tokens);
	if (!p->tokens)
		return err_set(err, errlen, "out of memory");
	for (int i = 0; i < s->nmsgs; i++)
		snprintf(p->tokens[i], sizeof p->tokens[i], "acklab-%04x-%s", p->nonce & 0xffff,
			 s->msg_ids[i]);
	/* Each timer: the stack's own value, else the scenario's, else acklab's default. */
	for (size_t i = 0; i < plan_ntimers; i++)
		for (int listener = 0; listener < 2; listener++) {
			const struct scn_setting *set = listener ? s->listen : s->client;
			int n = listener ? s->nlisten : s->nclient;
			long own = stack_timer(p->st, listener, plan_timers[i].key, NULL);
			long v = scenario_setting(set, n, plan_timers[i].key, -1);
			const char **from = listener ? &p->listen_timer_from[i] : &p->client_timer_from[i];

			*from = own >= 0 ? "stack" : v >= 0 ? "scenario" : "default";
			v = own >= 0 ? own : v >= 0 ? v : plan_timers[i].def;
			if (listener)
				p->listen_timers[i] = v;
			else
				p->client_timers[i] = v;
		}
	plan_check_fit(p);
	plan_pick_expect(p);
	return 0;
}

static int plan_build_doc(struct plan *p, const char *scn_text, const char *stack_text,
			  const char *rcpt_path, const char *rcpt_text)
{
	const struct scenario *s = p->s;
	json_t *tokens = json_object(), *expect;
	char needs[128], offers[128];

	for (int i = 0; i < s->nmsgs; i++)
		json_object_set_new(tokens, s->msg_ids[i], json_string(p->tokens[i]));
	cap_format(p->needs, needs, sizeof needs);
	cap_format(p->offers, offers, sizeof offers);
	expect = p->expect ? json_pack("{s:s, s:s, s:i, s:o}", "by", p->expect_by, "file", p->expect_file,
				       "line", p->expect_line,
				       "source", plan_source_line(strcmp(p->expect_by, "stack") == 0 ? stack_text
								  : scn_text, p->expect_line))
			   : json_pack("{s:s}", "by", "none");
	p->doc = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:o, s:o, s:o, s:o, s:o, s:i, s:i, s:s, s:s,"
			   " s:s, s:s, s:o, s:o, s:o, s:o}",
			   "plan", 1, "acklab", ACKLAB_VERSION, "cell", p->cell, "scenario_name", s->name,
			   "stack_name", p->st->name, "stackdir", p->stackdir, "seed", (json_int_t)p->seed,
			   "nonce", (int)p->nonce,
			   "tokens", tokens,
			   "client", plan_settings_json(p->client_timers),
			   "listen", plan_settings_json(p->listen_timers),
			   "timers_from", json_pack("{s:o, s:o}", "client", plan_timer_from_json(p->client_timer_from),
						    "listen", plan_timer_from_json(p->listen_timer_from)),
			   "faults", plan_faults_json(s, scn_text),
			   "settle_ms", s->settle_ms, "recipients", s->recipients, "channel", s->channel,
			   "failpoints", s->failpoints, "needs", needs, "offers", offers,
			   "na", p->na[0] ? json_string(p->na) : json_null(), "expect", expect,
			   "scenario", plan_file_json(s->path, scn_text),
			   "stack", plan_file_json(p->sender[0] ? p->sender_path : p->st->path, stack_text));
	/* A receive cell: "stack" is its sender's file, "recipient" the listener's. */
	if (p->doc && rcpt_text &&
	    (json_object_set_new(p->doc, "sender_name", json_string(p->sender)) == -1 ||
	     json_object_set_new(p->doc, "recipient", plan_file_json(rcpt_path, rcpt_text)) == -1))
		return -1;
	return p->doc ? 0 : -1;
}

/*
 * The stack of a receive cell, from its sender's stack (in p->st) and the
 * recipient stack's text: p->st becomes the composed one (recipient.h).
 */
static int plan_compose(struct plan *p, const char *rcpt_path, const char *rcpt_text, char *err,
			size_t errlen)
{
	struct stack *rcpt = NULL;

	if (stack_parse_string(rcpt_path, rcpt_text, &rcpt, err, errlen) == -1)
		return -1;
	if (!rcpt->recipient || p->st->recipient) {
		err_set(err, errlen, "%s: a receive cell pairs a send stack with a recipient stack, not %s with %s",
			rcpt_path, p->st->name, rcpt->name);
		stack_free(rcpt);
		return -1;
	}
	str_copy(p->sender, p->st->name, sizeof p->sender);
	str_copy(p->sender_path, p->st->path, sizeof p->sender_path);
	p->st = recipient_compose(p->st, rcpt);
	return 0;
}

/*
 * Parse the texts into p (paths kept for errors and reports), then resolve and build the doc.
 * rcpt_text is the recipient stack of a receive cell, or NULL.
 */
static int plan_from_texts(struct plan *p, const char *scn_path, const char *scn_text,
			   const char *stack_path, const char *stack_text, const char *rcpt_path,
			   const char *rcpt_text, char *err, size_t errlen)
{
	if (scenario_parse_string(scn_path, scn_text, &p->s, err, errlen) == -1 ||
	    stack_parse_string(stack_path, stack_text, &p->st, err, errlen) == -1 ||
	    (rcpt_text && plan_compose(p, rcpt_path, rcpt_text, err, errlen) == -1) ||
	    stack_check_expects(p->st, &p->s, 1, false, err, errlen) == -1 ||
	    plan_resolve(p, err, errlen) == -1)
		return -1;
	if (plan_build_doc(p, scn_text, stack_text, rcpt_path, rcpt_text) == -1)
		return err_set(err, errlen, "%s: out of memory", p->cell);
	return 0;
}

static int plan_make_cell(const struct scenario *s, const struct stack *st, const struct stack *rcpt,
			  unsigned nonce, unsigned long seed, struct plan **out, char *err, size_t errlen)
{
	struct plan *p = calloc(1, sizeof *p);
	char *scn_text = NULL, *stack_text = NULL, *rcpt_text = NULL;
	const char *column = rcpt ? rcpt->name : st->name;
	int rc = -1;

	*out = NULL;
	if (!p)
		return err_set(err, errlen, "out of memory");
	p->nonce = nonce;
	p->seed = seed;
	scn_text = file_read_text(s->path, 1 << 20, err, errlen);
	stack_text = scn_text ? file_read_text(st->path, 1 << 20, err, errlen) : NULL;
	if (!stack_text)
		goto done;
	if (rcpt && !(rcpt_text = file_read_text(rcpt->path, 1 << 20, err, errlen)))
		goto done;
	if (plan_from_texts(p, s->path, scn_text, st->path, stack_text, rcpt ? rcpt->path : NULL, rcpt_text,
			    err, errlen) == -1)
		goto done;
	if (strcmp(p->s->name, s->name) != 0 || strcmp(p->st->name, column) != 0) {
		err_set(err, errlen, "%s or %s changed while acklab was starting", s->path,
			rcpt ? rcpt->path : st->path);
		goto done;
	}
	*out = p;
	p = NULL;
	rc = 0;
done:
	free(scn_text);
	free(stack_text);
	free(rcpt_text);
	plan_free(p);
	return rc;
}

int plan_make(const struct scenario *s, const struct stack *st, unsigned nonce, unsigned long seed,
	      struct plan **out, char *err, size_t errlen)
{
	return plan_make_cell(s, st, NULL, nonce, seed, out, err, errlen);
}

int plan_make_receive(const struct scenario *s, const struct stack *sender, const struct stack *rcpt,
		      unsigned nonce, unsigned long seed, struct plan **out, char *err, size_t errlen)
{
	return plan_make_cell(s, sender, rcpt, nonce, seed, out, err, errlen);
}

static const char *plan_get_str(json_t *o, const char *k1, const char *k2)
{
	json_t *v = json_object_get(o, k1);

	if (k2)
		v = json_object_get(v, k2);
	return json_string_value(v);
}

int plan_load(const char *path, struct plan **out, char *err, size_t errlen)
{
	struct plan *p = calloc(1, sizeof *p);
	json_error_t jerr;
	json_t *doc = NULL;
	const char *spath, *stext, *kpath, *ktext, *rpath, *rtext;
	int rc = -1;

	*out = NULL;
	if (!p)
		return err_set(err, errlen, "out of memory");
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		err_set(err, errlen, "%s:%d:%d: not a plan: %s", path, jerr.line, jerr.column, jerr.text);
		goto done;
	}
	spath = plan_get_str(doc, "scenario", "path");
	stext = plan_get_str(doc, "scenario", "text");
	kpath = plan_get_str(doc, "stack", "path");
	ktext = plan_get_str(doc, "stack", "text");
	if (json_integer_value(json_object_get(doc, "plan")) != 1 || !spath || !stext || !kpath ||
	    !ktext || !json_is_integer(json_object_get(doc, "nonce")) ||
	    !json_is_integer(json_object_get(doc, "seed"))) {
		err_set(err, errlen, "%s: not a plan of this acklab (it needs plan 1, scenario and stack "
			"with path and text, nonce and seed)", path);
		goto done;
	}
	rpath = plan_get_str(doc, "recipient", "path");
	rtext = plan_get_str(doc, "recipient", "text");
	if (json_object_get(doc, "recipient") && (!rpath || !rtext)) {
		err_set(err, errlen, "%s: its recipient stack needs a path and a text", path);
		goto done;
	}
	p->nonce = (unsigned)json_integer_value(json_object_get(doc, "nonce"));
	p->seed = (unsigned long)json_integer_value(json_object_get(doc, "seed"));
	if (json_is_string(json_object_get(doc, "stackdir")))
		str_copy(p->stackdir, json_string_value(json_object_get(doc, "stackdir")), sizeof p->stackdir);
	if (plan_from_texts(p, spath, stext, kpath, ktext, rpath, rtext, err, errlen) == -1)
		goto done;
	/* What the machine lacked when the plan was run (FUSE, for storage faults) is recorded, not derived. */
	if (!p->na[0] && json_is_string(json_object_get(doc, "na"))) {
		str_copy(p->na, json_string_value(json_object_get(doc, "na")), sizeof p->na);
		json_object_set_new(p->doc, "na", json_string(p->na));
	}
	*out = p;
	p = NULL;
	rc = 0;
done:
	json_decref(doc);
	plan_free(p);
	return rc;
}

int plan_write(const struct plan *p, const char *path, char *err, size_t errlen)
{
	if (json_dump_file(p->doc, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER) == -1)
		return err_set(err, errlen, "cannot write %s", path);
	return 0;
}

int plan_write_at(const struct plan *p, const struct outdir *dir, char *err, size_t errlen)
{
	char *text = json_dumps(p->doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	int rc;

	if (!text)
		return err_set(err, errlen, "%s/plan.json: out of memory", dir->path);
	rc = outdir_write_file(dir, "plan.json", text, strlen(text), err, errlen);
	free(text);
	return rc;
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	scenario_free(p->s);
	stack_free(p->st);
	free(p->tokens);
	json_decref(p->doc);
	free(p);
}

const char *plan_token(const struct plan *p, const char *msg_id)
{
	for (int i = 0; i < p->s->nmsgs; i++)
		if (strcmp(p->s->msg_ids[i], msg_id) == 0)
			return p->tokens[i];
	return "";
}

long plan_timer(const struct plan *p, int listener, const char *key, long def)
{
	for (size_t i = 0; i < plan_ntimers; i++)
		if (strcmp(plan_timers[i].key, key) == 0)
			return listener ? p->listen_timers[i] : p->client_timers[i];
	return def;
}
