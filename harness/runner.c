/*
 * runner: the run stage. It executes one cell's plan (plan.h) on one poll
 * loop and records what happened; it never classifies.
 *
 * Order of a cell: plan.json written; topology; the server, started while
 * the capture opens (wait for ready); the recipients and the client, started
 * together (wait for all to be ready); then the scenario's rules are armed
 * and its steps walked in order while every role's output, every packet
 * match and every process exit is recorded into the history and offered to
 * the rules and to the step being awaited. After the workload: settle (until
 * every recipient has shown what the client showed Sent and nothing has
 * moved for a moment, at most the scenario's settle), heal, close the
 * client's stdin and let it finish, read the store back with the stack's
 * store command, stop everything. Then the record: history.jsonl (every
 * event), store.jsonl (what the store read-back printed) and cell.json (the
 * run's own facts: phases, exits, error). Faults fire inside the loop the
 * moment their trigger matches, so a fault lands between two events, never
 * after a sleep.
 */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capability.h"
#include "cell.h"
#include "cell_bot.h"
#include "cell_queue.h"
#include "plan.h"
#include "token.h"
#include "version.h"
#include "log.h"
#include "util.h"

/* --- steps ------------------------------------------------------------------ */

/* The ts under which the first recipient first saw msg_id, or NULL. */
static const char *cell_seen_ts(struct cell *c, const char *msg_id)
{
	const char *token = cell_token(c, msg_id);

	for (size_t i = 0; i < c->nlog; i++) {
		json_t *e = c->log[i].ev;
		const char *ev = json_string_value(json_object_get(e, "ev"));
		const char *text = json_string_value(json_object_get(e, "text"));

		if (strcmp(c->log[i].role, "recipient1") == 0 && ev && strcmp(ev, "received") == 0 &&
		    token_in_text(text, token))
			return json_string_value(json_object_get(e, "ts"));
	}
	return NULL;
}

static void cell_send(struct cell *c, const struct scn_step *st)
{
	const char *token = cell_token(c, st->msg_id);
	const char *channel = st->channel[0] ? st->channel : c->s->channel;
	const char *parent_ts = NULL;
	struct role *client = cell_role(c, st->role[0] ? st->role : "client");
	char text[512], err[256];
	json_t *cmd, *rec;
	char *line;

	if (st->reply_to[0]) {
		/* A reply points at its parent as a reader saw it: by the ts recipient1 was shown. */
		parent_ts = cell_seen_ts(c, st->reply_to);
		/* Its parent never shown, after an await that said so and went on: a message of its own. */
		if (!parent_ts && cell_seen(c, 0, "acklab", "await_gave_up", st->reply_to))
			;
		else if (!parent_ts) {
			cell_fail(c, "%s:%d: cannot reply to %s: recipient1 has not seen it (add "
				  "'await recipient1 received %s' before)", c->s->path, st->pos.line,
				  st->reply_to, st->reply_to);
			return;
		}
	}
	if (st->text[0])
		snprintf(text, sizeof text, "%s (%s)", st->text, token);
	else if (parent_ts)
		snprintf(text, sizeof text, "%s: reply to %s at ts %s (%s)", st->msg_id, st->reply_to,
			 parent_ts, token);
	else
		snprintf(text, sizeof text, "%s: message %s (%s)", st->msg_id, st->msg_id, token);
	rec = json_pack("{s:s, s:s, s:s, s:s, s:s}", "ev", "send", "id", st->msg_id, "token", token,
			"channel", channel, "text", text);
	if (rec)    /* recipients follow the scenario's channel only */
		json_object_set_new(rec, "watched", json_boolean(strcmp(channel, c->s->channel) == 0));
	if (rec && parent_ts) {
		json_object_set_new(rec, "parent", json_string(st->reply_to));
		json_object_set_new(rec, "parent_ts", json_string(parent_ts));
	}
	history_add(c->hist, "acklab", rec, mono_ns());
	cell_asked(c, strcmp(channel, c->s->channel) == 0);
	cmd = json_pack("{s:s, s:s, s:s, s:s}", "op", "send", "id", st->msg_id, "channel", channel,
			"text", text);
	if (cmd && parent_ts)
		json_object_set_new(cmd, "thread_ts", json_string(parent_ts));
	line = json_dumps(cmd, JSON_COMPACT);
	json_decref(cmd);
	if (!line || proc_write_line(client->proc, line, err, sizeof err) == -1)
		cell_fail(c, "%s:%d: cannot give the client message %s: %s", c->s->path, st->pos.line,
			  st->msg_id, line ? err : "out of memory");
	free(line);
}

/* An `or go on` await timed out: say so in the history (and to later replies), and go on. */
static void cell_note_gave_up(struct cell *c, const struct scn_step *st)
{
	json_t *e = history_add(c->hist, "acklab",
				json_pack("{s:s, s:s, s:s, s:s, s:i, s:i}", "ev", "await_gave_up", "await_role", st->role,
					  "event", st->ev, "id", st->msg_id, "within_ms", st->within_ms, "line",
					  st->pos.line),
				mono_ns());

	if (e)
		cell_log_arrival(c, "acklab", e);
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
		size_t at;
		int rc;

		/* The awaits that ask nothing of the server: the store, and a packet at a host. */
		if (strcmp(st->role, "store") == 0 || strcmp(st->role, "router") == 0) {
			rc = st->role[0] == 's' ? cell_await_store(c, st->msg_id, st->within_ms)
						: cell_await_packet(c, st->msg_id, st->host, st->within_ms);
			if (rc == -1)
				cell_fail(c, "%s:%d: gave up waiting for %s %s%s%s within %d ms", c->s->path,
					  st->pos.line, st->role[0] == 's' ? "the store to have" : "a packet carrying",
					  st->msg_id, st->host[0] ? " at " : "", st->host, st->within_ms);
			break;
		}
		if (cell_wait_for(c, st->role, st->ev, st->msg_id, from, st->within_ms) == -1) {
			if (st->or_go_on && !c->failed && !(c->o->stop && *c->o->stop))
				cell_note_gave_up(c, st);
			else
				cell_fail(c, "%s:%d: gave up waiting for %s %s%s%s within %d ms", c->s->path,
					  st->pos.line, st->role, st->ev, st->msg_id[0] ? " " : "", st->msg_id,
					  st->within_ms);
		}
		/*
		 * The next un-keyed await looks from just after what this one matched, not
		 * from the end: an event that arrived in the same turn (persisted m3, then
		 * exit) belongs to the next await, not to the past.
		 */
		at = cell_seen_at(c, from, st->role, st->ev, st->msg_id);
		if (at == SIZE_MAX || strcmp(st->ev, "connected") == 0 || strcmp(st->ev, "disconnected") == 0)
			at = c->nlog - (c->nlog > 0);
		if (at + 1 > c->await_from)
			c->await_from = at + 1;
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

/* Every sender (client, client2..) is told the workload is over and given time to finish. */
static int cell_finish_client(struct cell *c)
{
	int64_t deadline = mono_ns() + (int64_t)RUNNER_CLIENT_EXIT_MS * 1000000;

	for (int k = 1; k <= c->s->clients; k++) {
		char name[32];

		scn_client_role(k, name, sizeof name);
		proc_close_stdin(cell_role(c, name)->proc);
	}
	for (int k = 1; k <= c->s->clients; k++) {
		char name[32];
		struct role *client;

		scn_client_role(k, name, sizeof name);
		client = cell_role(c, name);
		while (!client->exited_recorded && mono_ns() < deadline && !(c->o->stop && *c->o->stop))
			cell_turn(c, 10);
		if (!client->exited_recorded) {
			proc_stop(client->proc, 500);
			cell_turn(c, 0);
		}
	}
	return 0;
}

/* Read one channel of the store back with the stack's store command. */
static int cell_read_channel(struct cell *c, struct role *store, const char *channel)
{
	char err[512];
	int64_t deadline;

	c->channel_override = channel;
	if (cell_start_role(c, store, true, err, sizeof err) == -1) {
		c->channel_override = NULL;
		cell_fail(c, "stack %s: store: %s", c->st->name, err);
		return -1;
	}
	c->channel_override = NULL;
	deadline = mono_ns() + (int64_t)RUNNER_STORE_MS * 1000000;
	while (!store->exited_recorded && mono_ns() < deadline && !(c->o->stop && *c->o->stop))
		cell_turn(c, 10);
	if (!store->exited_recorded || !WIFEXITED(proc_exit_status(store->proc)) ||
	    WEXITSTATUS(proc_exit_status(store->proc)) != 0) {
		char status[64];
		struct role *server = cell_role(c, "server");

		if (c->o->stop && *c->o->stop)
			return -1;
		cell_fail(c, "reading #%s of the store back failed (%s)%s; see %s/store.stderr.log", channel,
			  proc_describe_exit(store->proc, status, sizeof status),
			  server && server->exited_recorded ? ": the server is not running (it exited)" : "",
			  c->dir);
		return -1;
	}
	return 0;
}

/* The source of truth: every channel the scenario sent to, read back. */
static int cell_read_store(struct cell *c)
{
	struct role *store = cell_add_role(c, "store", "client", &c->st->store);
	const char **channels = calloc((size_t)c->s->nsteps + 1, sizeof *channels);
	int n = 0, rc = 0;

	if (!channels) {
		cell_fail(c, "out of memory");
		return -1;
	}
	channels[n++] = c->s->channel;
	for (int i = 0; i < c->s->nsteps; i++) {
		const char *ch = c->s->steps[i].channel;
		bool seen = false;

		if (c->s->steps[i].kind != SCN_SEND || !ch[0])
			continue;
		for (int k = 0; k < n; k++)
			seen = seen || strcmp(channels[k], ch) == 0;
		if (!seen)
			channels[n++] = ch;
	}
	for (int k = 0; k < n && rc == 0; k++)
		rc = cell_read_channel(c, store, channels[k]);
	free(channels);
	return rc;
}

static void cell_teardown(struct cell *c)
{
	char err[512];

	for (int i = c->nroles - 1; i >= 0; i--) {
		if (c->roles[i].proc && proc_state(c->roles[i].proc) != PROC_EXITED)
			proc_stop(c->roles[i].proc, 1000);
		if (c->roles[i].proc && !c->roles[i].exited_recorded)
			cell_record_exit(c, &c->roles[i]);     /* the last life's end is history too */
		proc_free(c->roles[i].proc);
		c->roles[i].proc = NULL;
	}
	capture_close(c->cap);
	c->cap = NULL;
	cell_lb_free(c);
	topo_free(c->topo);
	c->topo = NULL;
	/* After the server: what it left unsynced is written back, as at a clean shutdown. */
	if (c->disk && disk_close(c->disk, err, sizeof err) == -1)
		cell_fail(c, "the server's data folder: %s", err);
	c->disk = NULL;
}

/*
 * When the scenario breaks the server's storage: acklab's filesystem over
 * the cell folder, where the server keeps its data ({dir}). Its log is
 * disk.stderr.log. Returns 0 or -1 (the cell failed).
 */
static int cell_open_disk(struct cell *c)
{
	char err[1024], exe[PATH_MAX + 16];
	int log_fd, rc;

	if (!(c->plan->needs & CAP_STORAGE))
		return 0;
	if (disk_probe(err, sizeof err) == -1) {
		cell_fail(c, "storage faults need a FUSE filesystem, and this machine refuses one: %s",
			  err);
		return -1;
	}
	log_fd = outdir_open_file(&c->out, "disk.stderr.log", OUTDIR_APPEND, err, sizeof err);
	if (log_fd < 0) {
		cell_fail(c, "%s", err);
		return -1;
	}
	snprintf(exe, sizeof exe, "%s/acklab", c->o->bin_dir);
	rc = disk_open(&c->disk, c->out.fd, exe, log_fd, err, sizeof err);
	close(log_fd);
	if (rc == -1)
		cell_fail(c, "the server's data folder: %s", err);
	return rc;
}

/* The last few lines of the cell's file name (at most len - 1 bytes), or "" when it is empty or unreadable. */
static void cell_file_tail(struct cell *c, const char *name, char *buf, size_t len)
{
	int fd = openat(c->out.fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	off_t size = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
	off_t from = size > (off_t)len - 1 ? size - (off_t)len + 1 : 0;
	ssize_t n = size > 0 ? pread(fd, buf, len - 1, from) : 0;
	char *start = buf;

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (from > 0 && (start = strchr(buf, '\n')))      /* a whole first line, not half of one */
		memmove(buf, start + 1, strlen(start + 1) + 1);
	for (char *q = buf; *q; q++)
		if (*q == '\n')
			*q = '|';
}

/*
 * The stack's setup command, once, in the server's host, after the server
 * is first ready and before anyone connects: users, sessions, channels. It
 * must exit 0 within the stack's setup timeout; otherwise the cell is an
 * error that quotes the end of its stderr. Returns 0 or -1 (the cell failed).
 */
static int cell_run_setup(struct cell *c)
{
	struct role *setup;
	char err[1024], status[64], tail[400];
	int64_t start = mono_ns(), deadline = start + (int64_t)c->st->setup_timeout_ms * 1000000;

	if (!c->st->setup.nwords)
		return 0;
	/* The server's host: "server", or with servers behind a balancer, the balancer's ("lb"). */
	setup = cell_add_role(c, "setup", c->topo->server->name, &c->st->setup);
	if (cell_start_role(c, setup, true, err, sizeof err) == -1) {
		cell_fail(c, "stack %s: setup: %s", c->st->name, err);
		return -1;
	}
	while (!setup->exited_recorded && mono_ns() < deadline && !(c->o->stop && *c->o->stop))
		cell_turn(c, 10);
	if (c->o->stop && *c->o->stop)
		return -1;
	if (setup->exited_recorded && WIFEXITED(proc_exit_status(setup->proc)) &&
	    WEXITSTATUS(proc_exit_status(setup->proc)) == 0)
		return 0;
	if (!setup->exited_recorded) {
		proc_stop(setup->proc, 500);
		cell_turn(c, 0);
		snprintf(status, sizeof status, "still running after %d ms, stopped", c->st->setup_timeout_ms);
	} else {
		proc_describe_exit(setup->proc, status, sizeof status);
	}
	cell_file_tail(c, "setup.stderr.log", tail, sizeof tail);
	cell_fail(c, "%s:%d: setup failed (%s)%s%s%s; see %s/setup.stderr.log", c->st->path, c->st->setup.line,
		  status, tail[0] ? ": its stderr ends: \"" : ": it wrote nothing on stderr", tail,
		  tail[0] ? "\"" : "", c->dir);
	return -1;
}

/* The router's capture, watching for every message's token. 0, or -1 (the cell failed). */
static int cell_open_capture(struct cell *c)
{
	char err[512];

	if (capture_open_at(&c->cap, c->topo->router->netns_fd, &c->out, "capture.pcap", err,
			    sizeof err) == -1) {
		cell_fail(c, "capture: %s", err);
		return -1;
	}
	for (int i = 0; i < c->s->nmsgs; i++)
		if (capture_watch(c->cap, c->tokens[i], err, sizeof err) == -1) {
			cell_fail(c, "capture: %s", err);
			return -1;
		}
	return 0;
}

static int cell_setup(struct cell *c)
{
	struct topo_config cfg = { .recipients = c->s->recipients, .servers = c->s->servers,
				   .bot = cell_has_bot(c) };
	char err[1024];
	struct role *server, *others[RUNNER_MAX_ROLES];
	size_t from;
	int n = 0;

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
	if (cell_open_disk(c) == -1)
		return -1;
	if (c->s->servers) {
		/* Instances, then the balancer in front of them; the capture is open before. */
		if (cell_open_capture(c) == -1 || cell_start_servers(c) == -1)
			return -1;
	} else {
		/* The server boots while the capture opens; both are done before anyone connects. */
		server = cell_add_role(c, "server", "server", &c->st->server);
		from = c->nlog;
		if (cell_start_role(c, server, true, err, sizeof err) == -1) {
			cell_fail(c, "stack %s: server: %s", c->st->name, err);
			return -1;
		}
		if (cell_open_capture(c) == -1 || cell_await_ready(c, &server, 1, from) == -1)
			return -1;
	}
	if (cell_run_setup(c) == -1)
		return -1;
	/* Recipients and the client need only the server: start them together, wait for all. */
	for (int i = 1; i <= c->s->recipients; i++) {
		char name[32];

		snprintf(name, sizeof name, "recipient%d", i);
		others[n++] = cell_add_role(c, name, name, &c->st->listen);
	}
	if (cfg.bot)
		others[n++] = cell_add_role(c, "bot", "bot", &c->st->bot);
	for (int k = 1; k <= c->s->clients; k++) {      /* every sender lives on the client host */
		char name[32];

		scn_client_role(k, name, sizeof name);
		others[n++] = cell_add_role(c, name, "client", &c->st->client);
	}
	if (cell_start_all(c, others, n) == -1 || cell_queue_setup(c) == -1)
		return -1;
	c->fault_from = c->nlog;
	return 0;
}

/*
 * The cell's folder RUN/SCENARIO/STACK, made and held open without following
 * links (outdir.h). A rerun into the same folder starts from nothing: logs
 * are appended to, so old files must go.
 */
static int cell_open_dir(struct cell *c, char *err, size_t errlen)
{
	struct outdir scenario_dir;
	int rc;

	if (outdir_open_sub(&scenario_dir, c->o->run_out, c->s->name, err, errlen) == -1)
		return -1;
	rc = outdir_open_sub(&c->out, &scenario_dir, c->st->name, err, errlen);
	outdir_close(&scenario_dir);
	if (rc == 0 && (rc = outdir_clear(&c->out, err, errlen)) == -1)
		outdir_close(&c->out);
	if (rc == 0 && c->out.path[0] != '/') {
		/* {dir} is absolute: a role may change its working folder, or see it from another mount. */
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof cwd) ||
		    snprintf(c->dir, sizeof c->dir, "%s/%s", cwd, c->out.path) >= (int)sizeof c->dir) {
			outdir_close(&c->out);
			return err_set(err, errlen, "%s: cannot make it an absolute path", c->out.path);
		}
	} else if (rc == 0) {
		str_copy(c->dir, c->out.path, sizeof c->dir);
	}
	return rc;
}

/* store.jsonl: exactly what the store read-back printed (its stdout log, every channel). */
static void cell_write_store(struct cell *c)
{
	char from[PATH_MAX + 32], buf[65536], err[PATH_MAX + 256];
	int in, out;
	ssize_t n;

	snprintf(from, sizeof from, "%s/store.stdout.log", c->dir);
	in = openat(c->out.fd, "store.stdout.log", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in == -1) {
		cell_fail(c, "cannot read %s: %s", from, strerror(errno));
		return;
	}
	out = outdir_open_file(&c->out, "store.jsonl", OUTDIR_TRUNCATE, err, sizeof err);
	if (out == -1) {
		cell_fail(c, "%s", err);
		close(in);
		return;
	}
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	if (n == -1 || close(out) != 0)
		cell_fail(c, "cannot write %s/store.jsonl: %s", c->dir, strerror(errno));
	close(in);
}

/* How long each phase of the cell took, for cell.json. */
struct runner_phases {
	time_t wall_start;
	int64_t store_read;           /* when the store read-back began (CLOCK_MONOTONIC ns) */
	double setup_ms, workload_ms, settle_ms, finish_ms, store_ms, teardown_ms;
};

/* cell.json: what happened to the run itself (not to the messages: that is the checker's). */
static int cell_write_record(struct cell *c, const struct runner_phases *ph, bool interrupted,
			     char *err, size_t errlen)
{
	char started[32], *text;
	struct tm tm;
	json_t *rec, *exits = json_array();
	int rc;

	gmtime_r(&ph->wall_start, &tm);
	strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (size_t i = 0; i < history_len(c->hist); i++) {      /* every role's every exit */
		json_t *e = history_at(c->hist, i);
		const char *ev = json_string_value(json_object_get(e, "ev"));

		if (ev && strcmp(ev, "exit") == 0)
			json_array_append_new(exits, json_pack("{s:O?, s:O?, s:O?}", "role",
				json_object_get(e, "role"), "status", json_object_get(e, "status"),
				"life", json_object_get(e, "life")));
	}
	rec = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:f, s:{s:f, s:f, s:f, s:f, s:f, s:f}, s:o,"
			" s:b, s:s?}",
			"acklab", ACKLAB_VERSION, "commit", ACKLAB_COMMIT, "cell", c->plan->cell,
			"started", started, "t0_ns", (json_int_t)c->t0,
			"store_read_ns", (json_int_t)ph->store_read, "duration_ms", ms_since(c->t0),
			"phases_ms", "setup", ph->setup_ms, "workload", ph->workload_ms, "settle",
			ph->settle_ms, "finish", ph->finish_ms, "store", ph->store_ms, "teardown",
			ph->teardown_ms,
			"exits", exits, "interrupted", interrupted, "error", c->failed ? c->err : NULL);
	if (rec)    /* what each role ran, expanded: a cell that misbehaves can be run again by hand */
		json_object_set(rec, "commands", c->commands ? c->commands : json_array());
	text = rec ? json_dumps(rec, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(rec);
	if (!text)
		return err_set(err, errlen, "%s: cannot encode cell.json", c->dir);
	rc = outdir_write_file(&c->out, "cell.json", text, strlen(text), err, errlen);
	free(text);
	return rc;
}

int runner_run_plan(const struct plan *p, const struct runner_opts *o, char *err, size_t errlen)
{
	const struct scenario *s = p->s;
	struct cell *c = calloc(1, sizeof *c);
	struct runner_phases ph = { .wall_start = time(NULL) };
	char herr[512];
	int64_t mark;
	int rc = -1;

	if (!c)
		return err_set(err, errlen, "out of memory");
	c->plan = p;
	c->s = s;
	c->st = p->st;
	c->o = o;
	if (cell_open_dir(c, err, errlen) == -1 || plan_write_at(p, &c->out, err, errlen) == -1) {
		outdir_close(&c->out);
		free(c);
		return -1;
	}
	c->hist = history_new();
	c->tokens = p->tokens;
	c->maxfaults = 2 * s->nrules + s->nsteps;     /* a hold rule records its hold and its fault */
	c->faults = calloc((size_t)c->maxfaults + 1, sizeof *c->faults);
	c->fault_why = calloc((size_t)c->maxfaults + 1, sizeof *c->fault_why);
	if (!c->faults || !c->fault_why) {
		err_set(err, errlen, "out of memory");
		goto out;
	}
	for (int i = 0; i < s->nrules; i++) {
		c->rules[i] = s->rules[i].trigger;
		if (c->rules[i].msg_id[0])
			str_copy(c->rules[i].token, cell_token(c, c->rules[i].msg_id),
				 sizeof c->rules[i].token);
	}
	c->t0 = mark = mono_ns();
	if (cell_setup(c) == 0) {
		ph.setup_ms = ms_since(mark);
		c->workload_started = true;
		c->workload_start = mark = mono_ns();
		c->await_from = c->nlog;
		history_add(c->hist, "acklab", json_pack("{s:s}", "ev", "workload"), c->workload_start);
		for (int i = 0; i < s->nsteps && !c->failed && !(o->stop && *o->stop); i++)
			cell_step(c, &s->steps[i]);
		ph.workload_ms = ms_since(mark);
		mark = mono_ns();
		if (!c->failed)
			cell_settle(c, s->settle_ms);
		ph.settle_ms = ms_since(mark);
		c->workload_started = false;
		/*
		 * Whatever the workload left broken is undone before the store is read
		 * back. A cell that failed on the way (an await that timed out) is read
		 * back too, so its messages are classified beside its error: a bug that
		 * breaks an await must still show as the LOST it is.
		 */
		bool stopped = o->stop && *o->stop;

		if (!stopped)
			cell_heal(c, "", "the workload ended");
		mark = mono_ns();
		if (!stopped)
			cell_finish_client(c);
		ph.finish_ms = ms_since(mark);
		mark = mono_ns();
		ph.store_read = mark;
		if (!stopped && cell_read_store(c) == 0) {
			cell_write_store(c);
			cell_read_bot(c);
		}
		ph.store_ms = ms_since(mark);
	} else {
		ph.setup_ms = ms_since(mark);
	}
	if (o->stop && *o->stop) {
		c->failed = false;        /* being interrupted explains every other failure */
		cell_fail(c, "interrupted");
	}
	if (c->workload_start)
		cell_record_faults_touched(c);       /* the counts are final: every heal has run */
	mark = mono_ns();
	cell_teardown(c);
	ph.teardown_ms = ms_since(mark);

	if (history_write_jsonl(c->hist, &c->out, "history.jsonl", c->t0, herr, sizeof herr) == -1 &&
	    !c->failed)
		cell_fail(c, "%s", herr);
	if (cell_write_record(c, &ph, o->stop && *o->stop, err, errlen) == 0)
		rc = 0;
out:
	cell_progress_free(c);
	json_decref(c->commands);
	history_free(c->hist);
	outdir_close(&c->out);
	free(c->faults);
	free(c->fault_why);
	free(c->log);
	free(c);
	return rc;
}
