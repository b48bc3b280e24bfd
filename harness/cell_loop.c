/*
 * cell_loop: the poll loop of a running cell. Every role's output line,
 * every packet match from the router's capture and every process exit goes
 * into the history the moment it is read, and is offered to the scenario's
 * rules, which fire their faults right there, between two events. Awaits
 * are answered from the same arrivals. The loop sleeps in poll() on the
 * roles' stdout pipes, their pidfds (an exit wakes it at once), the
 * capture, the router's packet queue when a cell uses it (cell_queue.c),
 * and the next time rule or queued packet due; nothing waits on a fixed beat unless the
 * kernel offers no pidfd. Starting roles several at a time and the settle
 * step are turns of this loop too. Below it: cell_roles.c (starting a role)
 * and cell.c (the state and the questions asked of it).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cell.h"
#include "cell_bot.h"
#include "cell_queue.h"
#include "fault_table.h"
#include "token.h"
#include "log.h"
#include "util.h"

/*
 * Longest poll() without a reason to wake: the stop flag is set by a signal
 * handler, and a signal that lands between its check and poll() is noticed
 * at the latest this much later.
 */
#define CELL_TURN_MAX_MS 200
/* Beat for roles without a pidfd, whose exit only a waitid() notices. */
#define CELL_REAP_BEAT_MS 10
/* Pacing between connection attempts to a port that is not open yet. */
#define CELL_PORT_RETRY_MS 20

/* --- faults --------------------------------------------------------------- */

/*
 * A restarted server that prints no ready line: probe its port until it
 * accepts, without turning the loop (a restart fires from inside a turn), so
 * the "ready" it records comes before anything the new life says.
 */
static int cell_wait_port_now(struct cell *c, struct role *r, char *err, size_t errlen)
{
	int64_t deadline = mono_ns() + (int64_t)RUNNER_READY_MS * 1000000;
	char why[256] = "";

	while (mono_ns() < deadline) {
		int rc = cell_probe_port(c, r, why, sizeof why);

		if (rc != 0)
			return rc == 1 ? 0 : err_set(err, errlen, "%s: out of memory", r->name);
		if (proc_reap(r->proc) == 1)
			return err_set(err, errlen, "%s exited before its port %d accepted connections",
				       r->name, c->st->port);
		sleep_ms(CELL_PORT_RETRY_MS);   /* pacing between connection attempts, not a wait on an event */
	}
	return err_set(err, errlen, "%s: port %d did not accept connections within %d ms (%s)", r->name,
		       c->st->port, RUNNER_READY_MS, why);
}

static struct proc *env_find_role(void *arg, const char *name)
{
	struct role *r = cell_role(arg, name);

	return r ? r->proc : NULL;
}

static struct disk *env_find_disk(void *arg, const char *name)
{
	struct cell *c = arg;

	return strcmp(name, "server") == 0 ? c->disk : NULL;
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
	if (cell_start_role(c, r, false, err, errlen) == -1)
		return -1;
	return cell_role_ready_by_port(c, r) ? cell_wait_port_now(c, r, err, errlen) : 0;
}

/* A fault or heal into the history, with how long acklab took to apply it (from start_ns). */
static void cell_record_fault(struct cell *c, const char *ev, const struct fault *f, const char *why,
			      const char *what, int64_t start_ns)
{
	json_t *o = json_object();
	json_t *args = json_array();
	json_t *touched;

	for (int i = 0; i < f->nargs; i++)
		json_array_append_new(args, json_string(f->args[i]));
	json_object_set_new(o, "ev", json_string(ev));
	json_object_set_new(o, "fault", json_string(f->ops->name));
	json_object_set_new(o, "args", args);
	json_object_set_new(o, "what", json_string(what));
	json_object_set_new(o, "trigger", json_string(why));
	if (fault_touched(f, &touched) == 0)
		json_object_set_new(o, "touched", touched);
	json_object_set_new(o, "took_ms", json_real(ms_since(start_ns)));
	history_add(c->hist, "acklab", o, mono_ns());
	if (c->o->verbose)
		log_info("%s/%s: %s %s: %s (%s)", c->s->name, c->st->name, ev, f->ops->name, what, why);
}

void cell_record_faults_touched(struct cell *c)
{
	json_t *list = json_array();

	for (int i = 0; i < c->nfaults; i++) {
		const struct fault *f = &c->faults[i];
		json_t *args = json_array(), *touched = NULL;

		for (int k = 0; k < f->nargs; k++)
			json_array_append_new(args, json_string(f->args[k]));
		fault_touched(f, &touched);
		json_array_append_new(list, json_pack("{s:s, s:o, s:s, s:o?}", "fault", f->ops->name,
						      "args", args, "trigger", c->fault_why[i],
						      "touched", touched));
	}
	history_add(c->hist, "acklab", json_pack("{s:s, s:o}", "ev", "faults", "applied", list),
		    mono_ns());
}

void cell_apply_fault(struct cell *c, const struct scn_fault *sf, const char *why)
{
	struct fault_env env = { c->topo, env_find_role, env_restart_role, c, env_find_disk, c->plan->seed,
				  cell_lb_command };
	const char *args[FAULT_MAX_ARGS];
	struct fault *f;
	char err[512], what[512];
	int64_t start = mono_ns();

	if (c->nfaults >= c->maxfaults) {
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
	str_copy(c->fault_why[c->nfaults], why, sizeof c->fault_why[c->nfaults]);
	c->nfaults++;
	c->fault_from = c->nlog;     /* await ROLE disconnected looks from here */
	fault_describe(f, what, sizeof what);
	cell_record_fault(c, "fault", f, why, what, start);
	/* A resume ends the pause of that role: a later heal must not resume it again. */
	if (strcmp(f->ops->name, "resume") == 0)
		for (int i = 0; i < c->nfaults - 1; i++)
			if (c->faults[i].active && strcmp(c->faults[i].ops->name, "pause") == 0 &&
			    strcmp(c->faults[i].args[0], f->args[0]) == 0)
				c->faults[i].active = false;
}

struct cell_healing {
	struct cell *c;
	const char *why;
	int64_t start;                /* when the heal being reported began */
};

static void cell_healed(void *arg, struct fault *f)
{
	struct cell_healing *h = arg;
	char what[512];

	str_copy(what, "undone: ", sizeof what);
	fault_describe(f, what + strlen(what), sizeof what - strlen(what));
	cell_record_fault(h->c, "heal", f, h->why, what, h->start);
	h->start = mono_ns();
}

/* heal NAME, or every active fault when name is "", the last applied first. */
void cell_heal(struct cell *c, const char *name, const char *why)
{
	struct fault_env env = { c->topo, env_find_role, env_restart_role, c, env_find_disk, c->plan->seed,
				  cell_lb_command };
	struct cell_healing h = { c, why, mono_ns() };
	char err[512];

	if (fault_heal_all(c->faults, c->nfaults, name, &env, cell_healed, &h, err, sizeof err) == -1)
		cell_fail(c, "%s", err);
}

void cell_fire_rule(struct cell *c, int i)
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

	/* A poll of the store (await store has) is not the store the checker reads: no history. */
	if (strcmp(role, CELL_STORE_POLL) == 0) {
		c->store_poll_found = c->store_poll_found ||
				      (c->store_poll_token && token_in_text(line, c->store_poll_token));
		return;
	}
	if (strcmp(role, "store") == 0)
		ev = history_add_store_line(c->hist, line, t);
	else if (strcmp(role, CELL_BOT_STORE) == 0)
		return;       /* the bot's record is bot.jsonl, which the check reads (cell_bot.h) */
	else
		ev = history_add_line(c->hist, role, line, t);
	if (ev)
		cell_on_entry(c, role, ev);
}

/* The host at the other end of the router's interface ifname, or NULL. */
static const char *cell_host_on(struct cell *c, const char *ifname)
{
	for (int i = 0; i < c->topo->nhosts; i++)
		if (c->topo->hosts[i].router_ifname[0] && strcmp(c->topo->hosts[i].router_ifname, ifname) == 0)
			return c->topo->hosts[i].name;
	return NULL;
}

static void cell_on_packet(void *arg, const struct capture_match *m)
{
	struct cell *c = arg;
	json_t *o, *ev;
	const char *id = "", *host = cell_host_on(c, m->ifname);

	for (int i = 0; i < c->s->nmsgs; i++)
		if (strcmp(c->tokens[i], m->token) == 0)
			id = c->s->msg_ids[i];
	o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:i, s:s, s:b, s:I}", "ev", "packet", "id", id,
		      "token", m->token, "src", m->src, "sport", (int)m->sport, "dst", m->dst,
		      "dport", (int)m->dport, "ifname", m->ifname, "outgoing", m->outgoing,
		      "frame", (json_int_t)m->frame);
	if (!o)
		return;
	/* Arriving, it came from the host on that link; leaving, it goes to the host there. */
	if (host)
		json_object_set_new(o, m->outgoing ? "to" : "from", json_string(host));
	ev = history_add(c->hist, "router", o, m->t_ns);
	/* A packet the router forwarded will reach a role: that is movement (await packet MSG at HOST). */
	if (m->outgoing && ev)
		cell_log_arrival(c, "router", ev);
	/* A forwarded packet is seen arriving and leaving: count each packet once. */
	if (!c->workload_started || m->outgoing)
		return;
	/* Holds and triggers with a direction are the router queue's to count (cell_queue.c). */
	for (int i = 0; i < c->s->nrules; i++)
		if (!trigger_needs_queue(&c->rules[i]) && trigger_on_packet(&c->rules[i], m->token, NULL, NULL))
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

/* How long a turn may sleep: to max_ms, the next time rule, or a beat when an exit cannot wake it. */
static int cell_turn_timeout(struct cell *c, int max_ms, bool beat)
{
	int ms = max_ms < CELL_TURN_MAX_MS ? max_ms : CELL_TURN_MAX_MS;

	if (beat && ms > CELL_REAP_BEAT_MS)
		ms = CELL_REAP_BEAT_MS;
	if (c->workload_started) {
		int64_t el_ns = mono_ns() - c->workload_start;

		for (int i = 0; i < c->s->nrules; i++) {
			const struct trigger *tr = &c->rules[i];
			int64_t due_ms;

			if (tr->kind != TRIGGER_AT || tr->fired)
				continue;
			/* Round up: poll() must not wake before the rule is due. */
			due_ms = (tr->at_ms * 1000000 - el_ns + 999999) / 1000000;
			if (due_ms < ms)
				ms = due_ms > 0 ? (int)due_ms : 0;
		}
	}
	return ms < 0 ? 0 : ms;
}

/*
 * One turn of the loop: wait up to max_ms for output, packets, exits (a
 * role's pidfd turns readable when it exits) or the next time rule, and
 * handle all of it.
 */
void cell_turn(struct cell *c, int max_ms)
{
	struct pollfd pfd[2 * RUNNER_MAX_ROLES + 2];
	struct role *who[2 * RUNNER_MAX_ROLES + 2];
	bool beat = false, queue_readable = false;
	int n = 0, qfd;

	for (int i = 0; i < c->nroles; i++) {
		struct role *r = &c->roles[i];

		if (!r->proc)
			continue;
		if (proc_stdout_fd(r->proc) >= 0) {
			pfd[n].fd = proc_stdout_fd(r->proc);
			pfd[n].events = POLLIN;
			who[n++] = r;
		}
		if (r->exited_recorded)
			continue;
		if (proc_pidfd(r->proc) >= 0) {
			pfd[n].fd = proc_pidfd(r->proc);
			pfd[n].events = POLLIN;
			who[n++] = NULL;    /* an exit: collected below, for every role */
		} else if (proc_state(r->proc) != PROC_EXITED) {
			beat = true;
		}
	}
	if (c->cap) {
		pfd[n].fd = capture_fd(c->cap);
		pfd[n].events = POLLIN;
		who[n++] = NULL;
	}
	if ((qfd = cell_queue_fd(c)) >= 0) {
		pfd[n].fd = qfd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		who[n++] = NULL;
	}
	if (poll(pfd, n, cell_queue_timeout(c, cell_turn_timeout(c, max_ms, beat))) > 0) {
		for (int i = 0; i < n; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (who[i]) {
				if (proc_drain(who[i]->proc, cell_on_line, c) != 0)
					who[i]->eof = true;
			} else if (c->cap && pfd[i].fd == capture_fd(c->cap)) {
				capture_poll(c->cap, cell_on_packet, c);
			} else if (pfd[i].fd == qfd) {
				queue_readable = true;
			}
		}
	}
	cell_queue_service(c, queue_readable, cell_fire_rule);
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

/* Loop until the await of role's ev holds (or role exits, if ev is "exit"), up to ms. */
int cell_wait_for(struct cell *c, const char *role, const char *ev, const char *msg,
			 size_t from, int ms)
{
	int64_t deadline = mono_ns() + (int64_t)ms * 1000000;

	bool connection = strcmp(ev, "connected") == 0 || strcmp(ev, "disconnected") == 0;

	while (!c->failed && !(c->o->stop && *c->o->stop)) {
		struct role *r = cell_role(c, role);
		size_t seen = c->nlog;

		if (cell_await_holds(c, from, role, ev, msg))
			return 0;
		/* What was looked at did not match: the next turn looks at new arrivals only. */
		if (!connection)
			from = seen;
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
		cell_turn(c, (int)((deadline - mono_ns() + 999999) / 1000000));
	}
	return -1;
}

void cell_idle(struct cell *c, int ms)
{
	int64_t deadline = mono_ns() + (int64_t)ms * 1000000;

	while (!c->failed && !(c->o->stop && *c->o->stop) && mono_ns() < deadline)
		cell_turn(c, (int)((deadline - mono_ns() + 999999) / 1000000));
}

/* --- starting roles ------------------------------------------------------------ */

int cell_await_ready(struct cell *c, struct role **rs, int n, size_t from)
{
	int64_t deadline = mono_ns() + (int64_t)RUNNER_READY_MS * 1000000;
	bool ready[RUNNER_MAX_ROLES] = { false };
	char why[256] = "";

	for (;;) {
		bool all = true, probing = false;

		for (int i = 0; i < n; i++) {
			struct role *r = rs[i];

			if (ready[i])
				continue;
			if (cell_role_ready_by_port(c, r)) {
				int rc = cell_probe_port(c, r, why, sizeof why);

				if (rc == -1) {
					cell_fail(c, "%s: out of memory", r->name);
					return -1;
				}
				ready[i] = rc == 1;
				probing = probing || !ready[i];
			} else {
				ready[i] = cell_seen(c, from, r->name, "ready", NULL);
			}
			if (ready[i])
				continue;
			all = false;
			if (r->exited_recorded) {
				char status[64];

				cell_fail(c, "%s exited (%s) while acklab waited for its 'ready'; see %s/%s.stderr.log",
					  r->name, proc_describe_exit(r->proc, status, sizeof status), c->dir, r->name);
				return -1;
			}
		}
		if (all)
			return 0;
		if (c->failed || (c->o->stop && *c->o->stop))
			return -1;
		if (mono_ns() >= deadline) {
			for (int i = 0; i < n; i++) {
				char status[64];

				if (ready[i])
					continue;
				if (cell_role_ready_by_port(c, rs[i]))
					cell_fail(c, "stack %s: %s: port %d did not accept connections within %d ms (%s)",
						  c->st->name, rs[i]->name, c->st->port, RUNNER_READY_MS, why);
				else
					cell_fail(c, "%s did not print a ready line within %d ms (%s); see %s/%s.stderr.log",
						  rs[i]->name, RUNNER_READY_MS,
						  proc_describe_exit(rs[i]->proc, status, sizeof status), c->dir,
						  rs[i]->name);
				break;
			}
			return -1;
		}
		cell_turn(c, probing ? CELL_PORT_RETRY_MS : (int)((deadline - mono_ns() + 999999) / 1000000));
	}
}

int cell_start_all(struct cell *c, struct role **rs, int n)
{
	size_t from = c->nlog;
	char err[512];

	for (int i = 0; i < n; i++)
		if (cell_start_role(c, rs[i], true, err, sizeof err) == -1) {
			cell_fail(c, "stack %s: %s: %s", c->st->name, rs[i]->name, err);
			return -1;
		}
	return cell_await_ready(c, rs, n, from);
}

/* --- the end of the workload ----------------------------------------------------- */

void cell_settle(struct cell *c, int ms)
{
	int64_t start = mono_ns(), deadline = start + (int64_t)ms * 1000000;
	char why[128] = "";
	bool early = false;
	json_t *o;

	while (!c->failed && !(c->o->stop && *c->o->stop)) {
		int64_t now = mono_ns(), until = deadline;

		if (now >= deadline)
			break;
		if (cell_settled(c, why, sizeof why)) {
			int64_t quiet_end = c->last_move_ns + (int64_t)CELL_QUIET_MS * 1000000;

			if (now >= quiet_end) {
				early = true;
				break;
			}
			if (quiet_end < until)
				until = quiet_end;
		}
		cell_turn(c, (int)((until - now + 999999) / 1000000));
	}
	o = json_pack("{s:s, s:f, s:i, s:b}", "ev", "settled", "after_ms", ms_since(start), "settle_ms", ms,
		      "early", early);
	if (o && !early && why[0])
		json_object_set_new(o, "waiting_for", json_string(why));
	history_add(c->hist, "acklab", o, mono_ns());
	if (c->o->verbose)
		log_info("%s/%s: settled after %.0f ms%s%s", c->s->name, c->st->name, ms_since(start),
			 early ? "" : ", its full settle; still waiting: ", early ? "" : why[0] ? why : "quiet");
}

