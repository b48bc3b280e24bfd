/*
 * cell_loop: the poll loop of a running cell. Every role's output line,
 * every packet match from the router's capture and every process exit goes
 * into the history the moment it is read, and is offered to the scenario's
 * rules, which fire their faults right there, between two events. Awaits
 * are answered from the same arrivals.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cell.h"
#include "token.h"
#include "log.h"
#include "util.h"

struct role *cell_role(struct cell *c, const char *name)
{
	for (int i = 0; i < c->nroles; i++)
		if (strcmp(c->roles[i].name, name) == 0)
			return &c->roles[i];
	return NULL;
}

const char *cell_token(struct cell *c, const char *msg_id)
{
	for (int i = 0; i < c->s->nmsgs; i++)
		if (strcmp(c->s->msg_ids[i], msg_id) == 0)
			return c->tokens[i];
	return "";
}

void cell_fail(struct cell *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	c->failed = true;
}

void cell_log_arrival(struct cell *c, const char *role, json_t *ev)
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

static int env_restart_role(void *arg, const char *name, char *err, size_t errlen)
{
	struct cell *c = arg;
	struct role *r = cell_role(c, name);

	if (!r)
		return err_set(err, errlen, "no role '%s'", name);
	if (r->proc && proc_state(r->proc) != PROC_EXITED)
		proc_stop(r->proc, 2000);
	if (r->proc && !r->exited_recorded) {
		bool armed = c->workload_started;

		c->workload_started = false;      /* a deliberate stop is history, not a trigger */
		cell_record_exit(c, r);
		c->workload_started = armed;
	}
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
		log_info("%s/%s: %s %s: %s (%s)", c->s->name, c->st->name, ev, f->ops->name, what, why);
}

void cell_apply_fault(struct cell *c, const struct scn_fault *sf, const char *why)
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
	/* A resume ends the pause of that role: a later heal must not resume it again. */
	if (strcmp(f->ops->name, "resume") == 0)
		for (int i = 0; i < c->nfaults - 1; i++)
			if (c->faults[i].active && strcmp(c->faults[i].ops->name, "pause") == 0 &&
			    strcmp(c->faults[i].args[0], f->args[0]) == 0)
				c->faults[i].active = false;
}

/* heal NAME, or every active fault when name is "". */
void cell_heal(struct cell *c, const char *name, const char *why)
{
	struct fault_env env = { c->topo, env_find_role, env_restart_role, c };
	char err[512], what[512];

	for (int i = 0; i < c->nfaults; i++) {
		struct fault *f = &c->faults[i];

		if (!f->active || (name[0] && strcmp(f->ops->name, name) != 0))
			continue;
		str_copy(what, "undone: ", sizeof what);
		fault_describe(f, what + strlen(what), sizeof what - strlen(what));
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
		log_info("%s/%s: %s", c->s->name, c->st->name, s ? s : "?");
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

	if (strcmp(role, "store") == 0)
		ev = history_add_store_line(c->hist, line, t);
	else
		ev = history_add_line(c->hist, role, line, t);
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

void cell_record_exit(struct cell *c, struct role *r)
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
void cell_turn(struct cell *c, int max_ms)
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

bool cell_seen(struct cell *c, size_t from, const char *role, const char *ev, const char *msg)
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
		if ((id && strcmp(id, msg) == 0) || (token[0] && token_in_text(text, token)))
			return true;
	}
	return false;
}

/* Loop until role says ev (or exits, if ev is "exit"), up to ms. */
int cell_wait_for(struct cell *c, const char *role, const char *ev, const char *msg,
			 size_t from, int ms)
{
	int64_t deadline = mono_ns() + (int64_t)ms * 1000000;

	while (!c->failed && !(c->o->stop && *c->o->stop)) {
		struct role *r = cell_role(c, role);

		if (cell_seen(c, from, role, ev, msg))
			return 0;
		if (mono_ns() >= deadline)
			return -1;
		/* A role that has exited (and was not restarted) will say nothing more. */
		if (r && r->exited_recorded && strcmp(ev, "exit") != 0) {
			char status[64];

			cell_fail(c, "%s exited (%s) while acklab waited for its '%s'%s%s; see %s/%s.stderr.log",
				  role, proc_describe_exit(r->proc, status, sizeof status), ev, msg && *msg ? " of " : "",
				  msg ? msg : "", c->dir, role);
			return -1;
		}
		cell_turn(c, (int)((deadline - mono_ns()) / 1000000) + 1);
	}
	return -1;
}

void cell_idle(struct cell *c, int ms)
{
	int64_t deadline = mono_ns() + (int64_t)ms * 1000000;

	while (!c->failed && !(c->o->stop && *c->o->stop) && mono_ns() < deadline)
		cell_turn(c, (int)((deadline - mono_ns()) / 1000000) + 1);
}

