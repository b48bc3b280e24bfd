/*
 * scenario_bot: the bot statement. A scenario about bot delivery (Slack's
 * RTM, Events API and Socket Mode) says `bot`: acklab then gives the cell a
 * host "bot" and runs the stack's bot command there, a role like the
 * recipients, which scenarios can await, trigger on and break (`crash bot`,
 * `drop-replies server bot`, `evict-nat bot server`). Its record of the
 * events it processed is read back with the stack's bot-store command, as
 * the store is, and checked per message (checker_bot.c). `bot failpoints
 * process=crash@N` arms the reference bot's one failpoint in its first life
 * (the crash between receiving an event and processing it), and
 * after_process=crash@N the crash just after the work (before the ack of a
 * bot that acks after its work); a stack whose
 * bot command has no {failpoints} word cannot honour it (n/a).
 *
 * `bot over http` (the server POSTs each event and retries: Events API) or
 * `bot over websocket` (the bot holds a WebSocket: RTM, Socket Mode) says
 * the scenario is about that delivery; a stack whose bot gets its events
 * the other way is n/a (its offers line says bot-http or bot-websocket).
 *
 *   bot
 *   bot over http
 *   bot failpoints process=crash@3
 *   bot failpoints after_process=crash@3
 */
#include <stdio.h>
#include <string.h>

#include "capability.h"
#include "scenario_priv.h"
#include "util.h"

/* What the reference bot prints (chatc's bot.h); a bot's protocol is a closed set, as a client's is. */
const char *const scn_bot_events[] = {
	"ready", "connected", "disconnected", "received", "skipped", "acked", "processed", "failpoint",
	"error", "started", "exit", NULL,
};

int scn_st_bot(struct scn_parser *p)
{
	const char *spec;
	long n;

	int k = 1;

	p->s->bot = true;
	if (p->nw > k && strcmp(p->w[k].text, "over") == 0) {
		if (scn_need(p, k + 1, "how the bot gets its events (http or websocket)") == -1)
			return -1;
		if (strcmp(p->w[k + 1].text, "http") == 0)
			p->s->bot_over = CAP_BOT_HTTP;
		else if (strcmp(p->w[k + 1].text, "websocket") == 0)
			p->s->bot_over = CAP_BOT_WS;
		else
			return scn_err(p, p->w[k + 1].col, "unknown bot delivery '%s' (expected http: the "
				       "server POSTs each event and retries, or websocket: the bot holds a "
				       "WebSocket to the server)", p->w[k + 1].text);
		k += 2;
	}
	if (p->nw == k)
		return 0;
	if (strcmp(p->w[k].text, "failpoints") != 0)
		return scn_err(p, p->w[k].col, "unknown bot setting '%s' (expected: %s)", p->w[k].text, p->usage);
	if (scn_need(p, k + 1, "the failpoint spec") == -1)
		return -1;
	spec = p->w[k + 1].text;
	if (!(strncmp(spec, "process=crash@", 14) == 0 && parse_long(spec + 14, 1, 1000000, &n, NULL, 0) == 0) &&
	    !(strncmp(spec, "after_process=crash@", 20) == 0 && parse_long(spec + 20, 1, 1000000, &n, NULL, 0) == 0))
		return scn_err(p, p->w[2].col, "bad bot failpoint '%s' (expected process=crash@N or "
			       "after_process=crash@N: the bot dies just before, or just after, processing its "
			       "Nth event)", spec);
	str_copy(p->s->bot_failpoints, spec, sizeof p->s->bot_failpoints);
	return scn_no_more(p, k + 2);
}
