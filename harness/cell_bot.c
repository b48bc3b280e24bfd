/*
 * cell_bot: the bot of a cell (a scenario that says `bot`, on a stack that
 * has one). The bot is a role like a recipient, on a host of its own
 * ("bot"), started with the recipients and the client once the server is
 * ready. After the workload, once the store has been read back, the bot is
 * stopped (so nothing it does later can change what is checked), and its
 * record of processed events is read back with the stack's bot-store
 * command, run in the bot's host: one JSON line per processed event, kept as
 * bot.jsonl in the cell folder, as store.jsonl keeps the store. The check
 * reads it from there (check.c) as the role "bot-store"'s "processed"
 * entries (checker_bot.c); history.jsonl keeps only that role's start and
 * exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cell.h"
#include "cell_bot.h"
#include "util.h"

bool cell_has_bot(const struct cell *c)
{
	return c->s->bot && c->st->bot.nwords > 0;
}

/* bot.jsonl: exactly what the read-back printed. */
static int cell_bot_keep(struct cell *c)
{
	char buf[65536], err[PATH_MAX + 256];
	int in, out;
	ssize_t n;

	in = openat(c->out.fd, CELL_BOT_STORE ".stdout.log", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in == -1) {
		cell_fail(c, "cannot read %s/%s.stdout.log: %s", c->dir, CELL_BOT_STORE, strerror(errno));
		return -1;
	}
	out = outdir_open_file(&c->out, CELL_BOT_RECORD, OUTDIR_TRUNCATE, err, sizeof err);
	if (out == -1) {
		cell_fail(c, "%s", err);
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	if (n == -1 || close(out) != 0) {
		cell_fail(c, "cannot write %s/%s: %s", c->dir, CELL_BOT_RECORD, strerror(errno));
		close(in);
		return -1;
	}
	close(in);
	return 0;
}

int cell_read_bot(struct cell *c)
{
	struct role *bot = cell_role(c, "bot"), *rd;
	char err[512], status[64];
	int64_t deadline;

	if (!bot)
		return 0;
	/* What the bot does from here on cannot count: stop it before its record is read. */
	if (bot->proc && !bot->exited_recorded) {
		proc_stop(bot->proc, 1000);
		cell_turn(c, 0);                  /* its last lines */
		if (!bot->exited_recorded)
			cell_record_exit(c, bot);
	}
	rd = cell_add_role(c, CELL_BOT_STORE, "bot", &c->st->bot_store);
	if (cell_start_role(c, rd, true, err, sizeof err) == -1) {
		cell_fail(c, "stack %s: bot-store: %s", c->st->name, err);
		return -1;
	}
	deadline = mono_ns() + (int64_t)RUNNER_STORE_MS * 1000000;
	while (!rd->exited_recorded && mono_ns() < deadline && !(c->o->stop && *c->o->stop))
		cell_turn(c, 10);
	if (!rd->exited_recorded || !WIFEXITED(proc_exit_status(rd->proc)) ||
	    WEXITSTATUS(proc_exit_status(rd->proc)) != 0) {
		if (c->o->stop && *c->o->stop)
			return -1;
		cell_fail(c, "reading the bot's record back failed (%s); see %s/%s.stderr.log",
			  proc_describe_exit(rd->proc, status, sizeof status), c->dir, CELL_BOT_STORE);
		return -1;
	}
	return cell_bot_keep(c);
}
