/*
 * runner: one cell — one scenario against one stack — on one poll loop.
 *
 * Order of a cell: topology, capture, server (wait for ready), recipients
 * (wait for ready), client (wait for ready); then the scenario's rules are
 * armed and its steps walked in order while every role's output, every
 * packet match and every process exit is recorded into the history and
 * offered to the rules and to the step being awaited. After the workload:
 * settle, close the client's stdin and let it finish, read the store back
 * with the stack's store command, stop everything, write history.jsonl, run
 * the checker. Faults fire inside the loop the moment their trigger matches,
 * so a fault lands between two events, never after a sleep.
 */
#include "runner.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "checker.h"
#include "fault.h"
#include "history.h"
#include "log.h"
#include "netprobe.h"
#include "proc.h"
#include "topo.h"
#include "trigger.h"
#include "util.h"

#define RUNNER_MAX_ROLES (TOPO_MAX_HOSTS + 2)
#define RUNNER_READY_MS 10000
#define RUNNER_STORE_MS 10000
#define RUNNER_CLIENT_EXIT_MS 10000

struct role {
	char name[32];
	char host[32];
	struct proc *proc;
	const struct stack_cmd *cmd;
	bool exited_recorded;
	bool eof;
};

struct cell {
	const struct scenario *s;
	const struct stack *st;
	const struct runner_opts *o;
	char dir[PATH_MAX];
	struct topo *topo;
	struct capture *cap;
	struct history *hist;
	struct role roles[RUNNER_MAX_ROLES];
	int nroles;
	struct trigger rules[SCN_MAX_RULES];
	bool rule_failed;
	struct fault faults[SCN_MAX_RULES + SCN_MAX_STEPS];
	int nfaults;
	char tokens[SCN_MAX_IDS][96];
	int64_t t0, workload_start;
	bool workload_started;
	size_t arrivals;              /* role entries seen, in arrival order */
	size_t await_from;            /* arrivals index an un-keyed await looks from */
	/* arrival log: (role, entry) pairs for awaits, in arrival order */
	struct { char role[32]; json_t *ev; } *log;
	size_t nlog, caplog;
	char err[1024];
	bool failed;
};

static struct role *cell_role(struct cell *c, const char *name)
{
	for (int i = 0; i < c->nroles; i++)
		if (strcmp(c->roles[i].name, name) == 0)
			return &c->roles[i];
	return NULL;
}

static const char *cell_token(struct cell *c, const char *msg_id)
{
	for (int i = 0; i < c->s->nmsgs; i++)
		if (strcmp(c->s->msg_ids[i], msg_id) == 0)
			return c->tokens[i];
	return "";
}

static void cell_fail(struct cell *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cell_fail(struct cell *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	c->failed = true;
}

static void cell_log_arrival(struct cell *c, const char *role, json_t *ev)
{
	if (c->nlog == c->caplog) {
		size_t cap = c->caplog ? c->caplog * 2 : 256;
		void *p = realloc(c->log, cap * sizeof *c->log);

		if (!p)
			return;
		c->log = p;
		c->caplog = cap;
	}
	str_copy(c->log[c->nlog].role, role, sizeof c->log[c->nlog].role);
	c->log[c->nlog].ev = ev;
	c->nlog++;
}

/* --- faults --------------------------------------------------------------- */

static struct proc *env_find_role(void *arg, const char *name)
{
	struct role *r = cell_role(arg, name);

	return r ? r->proc : NULL;
}

static int cell_start_role(struct cell *c, struct role *r, bool first_life, char *err, size_t errlen);

static int env_restart_role(void *arg, const char *name, char *err, size_t errlen)
{
	struct cell *c = arg;
	struct role *r = cell_role(c, name);

	if (!r)
		return err_set(err, errlen, "no role '%s'", name);
	if (r->proc && proc_state(r->proc) != PROC_EXITED)
		proc_stop(r->proc, 2000);
	return cell_start_role(c, r, false, err, errlen);
}

static void cell_record_fault(struct cell *c, const char *ev, const struct fault *f, const char *why,
			      const char *what)
{
	json_t *o = json_object();
	json_t *args = json_array();

	for (int i = 0; i < f->nargs; i++)
		json_array_append_new(args, json_string(f->args[i]));
	json_object_set_new(o, "ev", json_string(ev));
	json_object_set_new(o, "fault", json_string(f->ops->name));
	json_object_set_new(o, "args", args);
	json_object_set_new(o, "what", json_string(what));
	json_object_set_new(o, "trigger", json_string(why));
	history_add(c->hist, "acklab", o, mono_ns());
	if (c->o->verbose)
		log_info("%s %s: %s (%s)", ev, f->ops->name, what, why);
}

static void cell_apply_fault(struct cell *c, const struct scn_fault *sf, const char *why)
{
	struct fault_env env = { c->topo, env_find_role, env_restart_role, c };
	const char *args[3];
	struct fault *f;
	char err[512], what[512];

	if (c->nfaults >= (int)ARRAY_LEN(c->faults)) {
		cell_fail(c, "too many faults in one cell");
		return;
	}
	f = &c->faults[c->nfaults];
	for (int i = 0; i < sf->nargs; i++)
		args[i] = sf->args[i];
	if (fault_init(f, fault_lookup(sf->name), args, sf->nargs, err, sizeof err) == -1 ||
	    fault_apply(f, &env, err, sizeof err) == -1) {
		cell_fail(c, "%s:%d: %s", c->s->path, sf->pos.line, err);
		return;
	}
	c->nfaults++;
	fault_describe(f, what, sizeof what);
	cell_record_fault(c, "fault", f, why, what);
}

/* heal NAME, or every active fault when name is "". */
static void cell_heal(struct cell *c, const char *name, const char *why)
{
	struct fault_env env = { c->topo, env_find_role, env_restart_role, c };
	char err[512], what[512];

	for (int i = 0; i < c->nfaults; i++) {
		struct fault *f = &c->faults[i];

		if (!f->active || (name[0] && strcmp(f->ops->name, name) != 0))
			continue;
		fault_describe(f, what, sizeof what);
		if (fault_heal(f, &env, err, sizeof err) == -1) {
			cell_fail(c, "%s", err);
			return;
		}
		cell_record_fault(c, "heal", f, why, what);
	}
}

static void cell_fire_rule(struct cell *c, int i)
{
	char why[256], trig[200];

	trigger_describe(&c->rules[i], trig, sizeof trig);
	snprintf(why, sizeof why, "%s (rule at line %d)", trig, c->s->rules[i].pos.line);
	if (strcmp(c->s->rules[i].fault.name, "heal") == 0)
		cell_heal(c, c->s->rules[i].fault.nargs ? c->s->rules[i].fault.args[0] : "", why);
	else
		cell_apply_fault(c, &c->s->rules[i].fault, why);
}

/* --- event intake ----------------------------------------------------------- */

static void cell_on_entry(struct cell *c, const char *role, json_t *ev)
{
	cell_log_arrival(c, role, ev);
	if (c->o->verbose) {
		char *s = json_dumps(ev, JSON_COMPACT);
		log_info("%s", s ? s : "?");
		free(s);
	}
	if (!c->workload_started)
		return;
	for (int i = 0; i < c->s->nrules; i++)
		if (trigger_on_event(&c->rules[i], role, ev))
			cell_fire_rule(c, i);
}

static void cell_on_line(void *arg, struct proc *p, const char *line, int64_t t)
{
	struct cell *c = arg;
	const char *role = proc_role(p);
	json_t *ev;

	if (strcmp(role, "store") == 0) {
		json_error_t jerr;
		json_t *o = json_loads(line, 0, &jerr);

		if (!json_is_object(o)) {
			json_decref(o);
			ev = history_add_line(c->hist, role, line, t);
		} else {
			if (!json_object_get(o, "ev"))
				json_object_set_new(o, "ev", json_string("stored"));
			ev = history_add(c->hist, role, o, t);
		}
	} else {
		ev = history_add_line(c->hist, role, line, t);
	}
	if (ev)
		cell_on_entry(c, role, ev);
}

static void cell_on_packet(void *arg, const struct capture_match *m)
{
	struct cell *c = arg;
	json_t *o;
	const char *id = "";

	for (int i = 0; i < c->s->nmsgs; i++)
		if (strcmp(c->tokens[i], m->token) == 0)
			id = c->s->msg_ids[i];
	o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:i, s:s, s:b}", "ev", "packet", "id", id,
		      "token", m->token, "src", m->src, "sport", (int)m->sport, "dst", m->dst,
		      "dport", (int)m->dport, "ifname", m->ifname, "outgoing", m->outgoing);
	if (!o)
		return;
	history_add(c->hist, "router", o, m->t_ns);
	/* A forwarded packet is seen arriving and leaving: count each packet once. */
	if (!c->workload_started || m->outgoing)
		return;
	for (int i = 0; i < c->s->nrules; i++)
		if (trigger_on_packet(&c->rules[i], m->token))
			cell_fire_rule(c, i);
}

static void cell_record_exit(struct cell *c, struct role *r)
{
	char status[64];
	json_t *o, *ev;

	proc_describe_exit(r->proc, status, sizeof status);
	o = json_pack("{s:s, s:s, s:i}", "ev", "exit", "status", status, "life", proc_starts(r->proc));
	ev = history_add(c->hist, r->name, o, mono_ns());
	r->exited_recorded = true;
	if (ev)
		cell_on_entry(c, r->name, ev);
	if (!c->workload_started)
		return;
	for (int i = 0; i < c->s->nrules; i++)
		if (trigger_on_exit(&c->rules[i], r->name))
			cell_fire_rule(c, i);
}

/*
 * One turn of the loop: wait up to max_ms for output, packets or exits, and
 * handle all of it. Time rules are checked too.
 */
static void cell_turn(struct cell *c, int max_ms)
{
	struct pollfd pfd[RUNNER_MAX_ROLES + 1];
	struct role *who[RUNNER_MAX_ROLES + 1];
	int n = 0;

	for (int i = 0; i < c->nroles; i++) {
		struct role *r = &c->roles[i];

		if (r->proc && proc_stdout_fd(r->proc) >= 0) {
			pfd[n].fd = proc_stdout_fd(r->proc);
			pfd[n].events = POLLIN;
			who[n++] = r;
		}
	}
	if (c->cap) {
		pfd[n].fd = capture_fd(c->cap);
		pfd[n].events = POLLIN;
		who[n++] = NULL;
	}
	if (max_ms > 10)
		max_ms = 10;          /* reaping and time rules need a regular beat */
	if (poll(pfd, n, max_ms) > 0) {
		for (int i = 0; i < n; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (who[i]) {
				if (proc_drain(who[i]->proc, cell_on_line, c) != 0)
					who[i]->eof = true;
			} else {
				capture_poll(c->cap, cell_on_packet, c);
			}
		}
	}
	for (int i = 0; i < c->nroles; i++) {
		struct role *r = &c->roles[i];

		if (r->proc && !r->exited_recorded && proc_reap(r->proc) == 1) {
			proc_drain(r->proc, cell_on_line, c);
			cell_record_exit(c, r);
		}
	}
	if (c->workload_started) {
		int64_t el = (mono_ns() - c->workload_start) / 1000000;

		for (int i = 0; i < c->s->nrules; i++)
			if (trigger_on_time(&c->rules[i], el))
				cell_fire_rule(c, i);
	}
}

/* --- roles ------------------------------------------------------------------ */

static void cell_set_setting_vars(const struct scn_setting *set, int n, const char **vars, int *nv,
				  char store[][24])
{
	static const struct { const char *key; long def; } keys[] = {
		{ "timeout-ms", 1000 }, { "attempts", 5 }, { "backoff-base-ms", 50 },
		{ "backoff-cap-ms", 1000 }, { "heartbeat-ms", 0 }, { "tcp-user-timeout-ms", 0 },
		{ "connect-timeout-ms", 1000 },
	};

	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		snprintf(store[i], 24, "%ld", scenario_setting(set, n, keys[i].key, keys[i].def));
		vars[(*nv)++] = keys[i].key;
		vars[(*nv)++] = store[i];
	}
}

/*
 * Readiness by port, for servers that print no ready line: connect from the
 * client host until the port accepts, then record the "ready" event a ready
 * line would have given. Blocking, with a deadline.
 */
static int cell_wait_port(struct cell *c, struct role *r, char *err, size_t errlen)
{
	int64_t deadline = mono_ns() + (int64_t)RUNNER_READY_MS * 1000000;
	char why[256];

	while (mono_ns() < deadline) {
		int fd = netprobe_connect(c->topo, "client", c->topo->server->addr, (uint16_t)c->st->port,
					  100, why, sizeof why);

		if (fd >= 0) {
			json_t *e;

			close(fd);
			e = history_add(c->hist, r->name, json_pack("{s:s, s:s}", "ev", "ready", "via", "port"),
					mono_ns());
			if (e)
				cell_log_arrival(c, r->name, e);
			return 0;
		}
		if (proc_reap(r->proc) == 1)
			return err_set(err, errlen, "%s exited before its port %d accepted connections",
				       r->name, c->st->port);
		sleep_ms(20);     /* pacing between connection attempts, not a wait on an event */
	}
	return err_set(err, errlen, "%s: port %d did not accept connections within %d ms (%s)", r->name,
		       c->st->port, RUNNER_READY_MS, why);
}

static int cell_start_role(struct cell *c, struct role *r, bool first_life, char *err, size_t errlen)
{
	struct topo_host *host = topo_host(c->topo, r->host);
	struct topo_host *server = c->topo->server;
	const char *vars[48];
	char nums[8][24], port[16], failpoints[300];
	bool is_listen = strncmp(r->name, "recipient", 9) == 0;
	struct proc_spec spec;
	char **argv = NULL;
	int nv = 0, rc;

	snprintf(port, sizeof port, "%d", c->st->port);
	failpoints[0] = '\0';
	if (first_life && strcmp(r->name, "server") == 0 && c->s->failpoints[0])
		snprintf(failpoints, sizeof failpoints, "%s", c->s->failpoints);
	vars[nv++] = "bin"; vars[nv++] = c->o->bin_dir;
	vars[nv++] = "server"; vars[nv++] = server->addr;
	vars[nv++] = "addr"; vars[nv++] = host ? host->addr : "";
	vars[nv++] = "port"; vars[nv++] = port;
	vars[nv++] = "dir"; vars[nv++] = c->dir;
	vars[nv++] = "channel"; vars[nv++] = c->s->channel;
	vars[nv++] = "failpoints"; vars[nv++] = failpoints;
	vars[nv++] = "seed"; vars[nv++] = "1";
	vars[nv++] = "role"; vars[nv++] = r->name;
	if (is_listen)
		cell_set_setting_vars(c->s->listen, c->s->nlisten, vars, &nv, nums);
	else
		cell_set_setting_vars(c->s->client, c->s->nclient, vars, &nv, nums);
	vars[nv] = NULL;
	if (stack_expand(c->st, r->cmd, vars, &argv, err, errlen) == -1)
		return -1;
	spec.role = r->name;
	spec.netns_fd = host ? host->netns_fd : -1;
	spec.argv = argv;
	spec.log_dir = c->dir;
	spec.want_stdin = strcmp(r->name, "client") == 0 || is_listen;
	proc_free(r->proc);
	r->proc = NULL;
	r->exited_recorded = false;
	r->eof = false;
	rc = proc_start(&r->proc, &spec, err, errlen);
	stack_argv_free(argv);
	if (rc == 0) {
		json_t *o = json_pack("{s:s, s:b}", "ev", "started", "first_life", first_life);
		history_add(c->hist, r->name, o, mono_ns());
		if (strcmp(r->name, "server") == 0 && c->st->ready_port)
			rc = cell_wait_port(c, r, err, errlen);
	}
	return rc;
}

static struct role *cell_add_role(struct cell *c, const char *name, const char *host,
				  const struct stack_cmd *cmd)
{
	struct role *r = &c->roles[c->nroles++];

	memset(r, 0, sizeof *r);
	str_copy(r->name, name, sizeof r->name);
	str_copy(r->host, host, sizeof r->host);
	r->cmd = cmd;
	return r;
}

/* Does the arrival log, from index from, hold an event ev of role (for msg if set)? */
static bool cell_seen(struct cell *c, size_t from, const char *role, const char *ev, const char *msg)
{
	const char *token = msg && msg[0] ? cell_token(c, msg) : NULL;

	for (size_t i = from; i < c->nlog; i++) {
		json_t *e = c->log[i].ev;
		const char *name = json_string_value(json_object_get(e, "ev"));
		const char *id, *text;

		if (strcmp(c->log[i].role, role) != 0 || !name)
			continue;
		if (strcmp(ev, "done") == 0) {
			if (strcmp(name, "sent") != 0 && strcmp(name, "failed") != 0)
				continue;
		} else if (strcmp(name, ev) != 0) {
			continue;
		}
		if (!token)
			return true;
		id = json_string_value(json_object_get(e, "id"));
		text = json_string_value(json_object_get(e, "text"));
		if ((id && strcmp(id, msg) == 0) || (text && token[0] && strstr(text, token)))
			return true;
	}
	return false;
}

/* Loop until role says ev (or exits, if ev is "exit"), up to ms. */
static int cell_wait_for(struct cell *c, const char *role, const char *ev, const char *msg,
			 size_t from, int ms)
{
	int64_t deadline = mono_ns() + (int64_t)ms * 1000000;

	while (!c->failed && !(c->o->stop && *c->o->stop)) {
		if (cell_seen(c, from, role, ev, msg))
			return 0;
		if (mono_ns() >= deadline)
			return -1;
		cell_turn(c, (int)((deadline - mono_ns()) / 1000000) + 1);
	}
	return -1;
}

static void cell_idle(struct cell *c, int ms)
{
	int64_t deadline = mono_ns() + (int64_t)ms * 1000000;

	while (!c->failed && !(c->o->stop && *c->o->stop) && mono_ns() < deadline)
		cell_turn(c, (int)((deadline - mono_ns()) / 1000000) + 1);
}

static int cell_start_and_wait(struct cell *c, struct role *r)
{
	char err[512];
	size_t from = c->nlog;

	if (cell_start_role(c, r, true, err, sizeof err) == -1) {
		cell_fail(c, "stack %s: %s: %s", c->st->name, r->name, err);
		return -1;
	}
	if (cell_wait_for(c, r->name, "ready", NULL, from, RUNNER_READY_MS) == -1) {
		char status[64];

		if (!c->failed)
			cell_fail(c, "%s did not print a ready line within %d ms (%s); see %s/%s.stderr.log",
				  r->name, RUNNER_READY_MS, proc_describe_exit(r->proc, status, sizeof status),
				  c->dir, r->name);
		return -1;
	}
	return 0;
}

/* --- steps ------------------------------------------------------------------ */

static void cell_send(struct cell *c, const struct scn_step *st)
{
	const char *token = cell_token(c, st->msg_id);
	const char *channel = st->channel[0] ? st->channel : c->s->channel;
	struct role *client = cell_role(c, "client");
	char text[512], err[256];
	json_t *cmd, *rec;
	char *line;

	if (st->text[0])
		snprintf(text, sizeof text, "%s (%s)", st->text, token);
	else
		snprintf(text, sizeof text, "%s: message %s (%s)", st->msg_id, st->msg_id, token);
	rec = json_pack("{s:s, s:s, s:s, s:s, s:s}", "ev", "send", "id", st->msg_id, "token", token,
			"channel", channel, "text", text);
	history_add(c->hist, "acklab", rec, mono_ns());
	cmd = json_pack("{s:s, s:s, s:s, s:s}", "op", "send", "id", st->msg_id, "channel", channel,
			"text", text);
	line = json_dumps(cmd, JSON_COMPACT);
	json_decref(cmd);
	if (!line || proc_write_line(client->proc, line, err, sizeof err) == -1)
		cell_fail(c, "%s:%d: cannot give the client message %s: %s", c->s->path, st->pos.line,
			  st->msg_id, line ? err : "out of memory");
	free(line);
}

static void cell_step(struct cell *c, const struct scn_step *st)
{
	char why[64];

	snprintf(why, sizeof why, "step at line %d", st->pos.line);
	switch (st->kind) {
	case SCN_SEND:
		cell_send(c, st);
		break;
	case SCN_AWAIT: {
		size_t from = st->msg_id[0] ? 0 : c->await_from;

		if (cell_wait_for(c, st->role, st->ev, st->msg_id, from, st->within_ms) == -1)
			cell_fail(c, "%s:%d: gave up waiting for %s %s%s%s within %d ms", c->s->path,
				  st->pos.line, st->role, st->ev, st->msg_id[0] ? " " : "", st->msg_id,
				  st->within_ms);
		c->await_from = c->nlog;
		break;
	}
	case SCN_WAIT:
		cell_idle(c, st->ms);
		break;
	case SCN_FAULT:
		cell_apply_fault(c, &st->fault, why);
		break;
	case SCN_HEAL:
		cell_heal(c, st->fault.name, why);
		break;
	}
}

/* --- the cell --------------------------------------------------------------- */

static void cell_measure(struct cell *c, struct cell_result *out)
{
	int64_t fault_t = 0;

	/* How long the client took to notice a dead connection after the first fault. */
	for (size_t i = 0; i < history_len(c->hist); i++) {
		json_t *e = history_at(c->hist, i);
		const char *role = json_string_value(json_object_get(e, "role"));
		const char *ev = json_string_value(json_object_get(e, "ev"));
		int64_t t = json_integer_value(json_object_get(e, "t"));

		if (!role || !ev)
			continue;
		if (!fault_t && strcmp(role, "acklab") == 0 && strcmp(ev, "fault") == 0)
			fault_t = t;
		else if (fault_t && strcmp(role, "client") == 0 && strcmp(ev, "disconnected") == 0) {
			if (!out->extra)
				out->extra = json_object();
			json_object_set_new(out->extra, "detect_ms", json_real((double)(t - fault_t) / 1e6));
			break;
		}
	}
}

static int cell_finish_client(struct cell *c)
{
	struct role *client = cell_role(c, "client");
	int64_t deadline;

	proc_close_stdin(client->proc);
	deadline = mono_ns() + (int64_t)RUNNER_CLIENT_EXIT_MS * 1000000;
	while (!client->exited_recorded && mono_ns() < deadline && !(c->o->stop && *c->o->stop))
		cell_turn(c, 10);
	if (!client->exited_recorded) {
		proc_stop(client->proc, 500);
		cell_turn(c, 0);
	}
	return 0;
}

static int cell_read_store(struct cell *c)
{
	struct role *store = cell_add_role(c, "store", "client", &c->st->store);
	char err[512];
	int64_t deadline;

	if (cell_start_role(c, store, true, err, sizeof err) == -1) {
		cell_fail(c, "stack %s: store: %s", c->st->name, err);
		return -1;
	}
	deadline = mono_ns() + (int64_t)RUNNER_STORE_MS * 1000000;
	while (!store->exited_recorded && mono_ns() < deadline && !(c->o->stop && *c->o->stop))
		cell_turn(c, 10);
	if (!store->exited_recorded || !WIFEXITED(proc_exit_status(store->proc)) ||
	    WEXITSTATUS(proc_exit_status(store->proc)) != 0) {
		char status[64];

		cell_fail(c, "reading the store back failed (%s); see %s/store.stderr.log",
			  proc_describe_exit(store->proc, status, sizeof status), c->dir);
		return -1;
	}
	return 0;
}

static void cell_teardown(struct cell *c)
{
	for (int i = c->nroles - 1; i >= 0; i--) {
		if (c->roles[i].proc && proc_state(c->roles[i].proc) != PROC_EXITED)
			proc_stop(c->roles[i].proc, 1000);
		proc_free(c->roles[i].proc);
		c->roles[i].proc = NULL;
	}
	capture_close(c->cap);
	c->cap = NULL;
	topo_free(c->topo);
	c->topo = NULL;
}

static int cell_setup(struct cell *c)
{
	struct topo_config cfg = { .recipients = c->s->recipients };
	char err[1024], path[PATH_MAX + 32];

	if (topo_build(&c->topo, &cfg, err, sizeof err) == -1) {
		cell_fail(c, "topology: %s", err);
		return -1;
	}
	for (int i = 0; i < c->s->nsysctls; i++) {
		const struct scn_sysctl *sy = &c->s->sysctls[i];

		if (topo_set_sysctl(c->topo, sy->host, sy->key, sy->value, err, sizeof err) == -1) {
			cell_fail(c, "%s:%d: %s", c->s->path, sy->pos.line, err);
			return -1;
		}
	}
	for (int i = 0; i < c->s->nrates; i++) {
		const struct scn_rate *ra = &c->s->rates[i];

		if (topo_set_rate(c->topo, ra->host, ra->rate, err, sizeof err) == -1) {
			cell_fail(c, "%s:%d: %s", c->s->path, ra->pos.line, err);
			return -1;
		}
	}
	snprintf(path, sizeof path, "%s/capture.pcap", c->dir);
	if (capture_open(&c->cap, c->topo->router->netns_fd, path, err, sizeof err) == -1) {
		cell_fail(c, "capture: %s", err);
		return -1;
	}
	for (int i = 0; i < c->s->nmsgs; i++)
		if (capture_watch(c->cap, c->tokens[i], err, sizeof err) == -1) {
			cell_fail(c, "capture: %s", err);
			return -1;
		}
	if (cell_start_and_wait(c, cell_add_role(c, "server", "server", &c->st->server)) == -1)
		return -1;
	for (int i = 1; i <= c->s->recipients; i++) {
		char name[32];

		snprintf(name, sizeof name, "recipient%d", i);
		if (cell_start_and_wait(c, cell_add_role(c, name, name, &c->st->listen)) == -1)
			return -1;
	}
	return cell_start_and_wait(c, cell_add_role(c, "client", "client", &c->st->client));
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];

	str_copy(tmp, path, sizeof tmp);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0755) == -1 && errno != EEXIST ? -1 : 0;
}

/* A rerun into the same folder starts from nothing: logs are appended to, so old ones must go. */
static void cell_clear_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_type == DT_REG)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

int runner_run_cell(const struct scenario *s, const struct stack *st, const struct runner_opts *o,
		    struct cell_result *out)
{
	struct cell *c = calloc(1, sizeof *c);
	char err[512], path[PATH_MAX + 32];
	int64_t start = mono_ns();
	int rc = -1;

	memset(out, 0, sizeof *out);
	str_copy(out->scenario, s->name, sizeof out->scenario);
	str_copy(out->title, s->title[0] ? s->title : s->name, sizeof out->title);
	str_copy(out->lesson, s->lesson, sizeof out->lesson);
	str_copy(out->stack, st->name, sizeof out->stack);
	snprintf(out->dir, sizeof out->dir, "%s/%s", s->name, st->name);
	if (!c) {
		snprintf(out->error, sizeof out->error, "out of memory");
		return -1;
	}
	c->s = s;
	c->st = st;
	c->o = o;
	snprintf(c->dir, sizeof c->dir, "%s/%s", o->run_dir, out->dir);
	if (mkdir_p(c->dir) == -1) {
		snprintf(out->error, sizeof out->error, "cannot create %s: %s", c->dir, strerror(errno));
		free(c);
		return -1;
	}
	cell_clear_dir(c->dir);
	c->hist = history_new();
	for (int i = 0; i < s->nmsgs; i++)
		snprintf(c->tokens[i], sizeof c->tokens[i], "acklab-%04x-%s", o->nonce & 0xffff,
			 s->msg_ids[i]);
	for (int i = 0; i < s->nrules; i++) {
		c->rules[i] = s->rules[i].trigger;
		if (c->rules[i].msg_id[0])
			str_copy(c->rules[i].token, cell_token(c, c->rules[i].msg_id),
				 sizeof c->rules[i].token);
	}
	c->t0 = start;
	if (cell_setup(c) == 0) {
		c->workload_started = true;
		c->workload_start = mono_ns();
		c->await_from = c->nlog;
		history_add(c->hist, "acklab", json_pack("{s:s}", "ev", "workload"), c->workload_start);
		for (int i = 0; i < s->nsteps && !c->failed && !(o->stop && *o->stop); i++)
			cell_step(c, &s->steps[i]);
		if (!c->failed)
			cell_idle(c, s->settle_ms);
		c->workload_started = false;
		if (!c->failed)
			cell_finish_client(c);
		if (!c->failed)
			cell_read_store(c);
	}
	if (o->stop && *o->stop)
		cell_fail(c, "interrupted");
	cell_teardown(c);

	snprintf(path, sizeof path, "%s/history.jsonl", c->dir);
	if (history_write_jsonl(c->hist, path, c->t0, err, sizeof err) == -1 && !c->failed)
		cell_fail(c, "%s", err);
	out->t0_ns = c->t0;
	if (!c->failed) {
		const struct scn_expect *exp = scenario_expect_for(s, st->name, st->is_default);

		if (checker_run_at(c->hist, exp, s->recipients, c->t0, &out->chk, err, sizeof err) == -1)
			cell_fail(c, "checker: %s", err);
		else
			rc = 0;
	}
	cell_measure(c, out);
	out->ran = rc == 0;
	if (c->failed)
		str_copy(out->error, c->err, sizeof out->error);
	out->duration_ms = ms_since(start);
	history_free(c->hist);
	free(c->log);
	free(c);
	return rc;
}
