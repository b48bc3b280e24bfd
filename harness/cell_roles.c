/*
 * cell_roles: starting the roles of a cell in their hosts. A role's command
 * comes from the stack file, expanded with the cell's values (addresses,
 * port, folder, the scenario's timers); the server's failpoints arm only its
 * first life, so a restarted server runs clean. When the scenario breaks
 * the server's storage, each of its lives sees {dir} through a mount of
 * acklab's filesystem of its own (disk.h). Starting never waits: the
 * loop above starts several roles at once and waits for all of them, on a
 * ready line or, for stacks that say so, on the port accepting connections,
 * which this file probes one attempt at a time. It uses only the cell's
 * state (cell.c), never the loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cell.h"
#include "util.h"
#include "netprobe.h"

/* --- roles ------------------------------------------------------------------ */

/* The plan's timers, defaults applied, as {key} variables of the client's or a listener's command. */
static void cell_set_setting_vars(const struct plan *p, int listener, const char **vars, int *nv,
				  char store[][24])
{
	const long *values = listener ? p->listen_timers : p->client_timers;

	for (size_t i = 0; i < plan_ntimers; i++) {
		snprintf(store[i], 24, "%ld", values[i]);
		vars[(*nv)++] = plan_timers[i].key;
		vars[(*nv)++] = store[i];
	}
}

/* Which server instance r is (1..N behind a balancer), 1 for the one server, 0 for any other role. */
static int cell_server_instance(const struct cell *c, const struct role *r)
{
	long k;

	if (strcmp(r->name, "server") == 0)
		return 1;
	if (c->s->servers && strncmp(r->name, "server", 6) == 0 &&
	    parse_long(r->name + 6, 1, c->s->servers, &k, NULL, 0) == 0)
		return (int)k;
	return 0;
}

bool cell_role_ready_by_port(struct cell *c, const struct role *r)
{
	/* HAProxy prints no ready line; a server does unless its stack says "ready port". */
	return strcmp(r->name, "lb") == 0 || (cell_server_instance(c, r) && c->st->ready_port);
}

int cell_probe_port(struct cell *c, struct role *r, char *why, size_t whylen)
{
	struct topo_host *h = topo_host(c->topo, r->host);
	int fd = netprobe_connect(c->topo, "client", h ? h->addr : c->topo->server->addr, (uint16_t)c->st->port,
				  100, why, whylen);
	json_t *e;

	if (fd < 0)
		return 0;
	close(fd);
	e = history_add(c->hist, r->name, json_pack("{s:s, s:s}", "ev", "ready", "via", "port"), mono_ns());
	if (!e)
		return -1;
	cell_log_arrival(c, r->name, e);
	return 1;
}

/* Does word need quoting for a POSIX shell? */
static bool cell_needs_quotes(const char *word)
{
	if (!*word)
		return true;
	for (const char *q = word; *q; q++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-", *q))
			return true;
	return false;
}

/* argv as one line a person can paste into a shell: words quoted where they must be. */
static char *cell_command_line(char *const *argv)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (int i = 0; argv[i]; i++) {
		if (i)
			fputc(' ', f);
		if (!cell_needs_quotes(argv[i])) {
			fputs(argv[i], f);
			continue;
		}
		fputc('\'', f);
		for (const char *q = argv[i]; *q; q++)
			if (*q == '\'')
				fputs("'\\''", f);
			else
				fputc(*q, f);
		fputc('\'', f);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * Remember the command line r is started with, once per distinct line (a
 * store read per channel, a restarted server without its failpoints): what
 * ran is in the record (cell.json "commands"), expanded, for a person to
 * read and to run by hand.
 */
static void cell_note_command(struct cell *c, const struct role *r, char *const *argv)
{
	char *line = cell_command_line(argv);
	json_t *a, *e;
	size_t i;

	if (!line)
		return;
	if (!c->commands)
		c->commands = json_array();
	json_array_foreach(c->commands, i, e)
		if (strcmp(json_string_value(json_object_get(e, "role")), r->name) == 0 &&
		    strcmp(json_string_value(json_object_get(e, "command")), line) == 0) {
			free(line);
			return;
		}
	a = json_array();
	for (int k = 0; argv[k]; k++)
		json_array_append_new(a, json_string(argv[k]));
	json_array_append_new(c->commands, json_pack("{s:s, s:s, s:o, s:s}", "role", r->name, "host", r->host,
						     "argv", a, "command", line));
	free(line);
}

int cell_start_role(struct cell *c, struct role *r, bool first_life, char *err, size_t errlen)
{
	struct topo_host *host = topo_host(c->topo, r->host);
	struct topo_host *server = c->topo->server;
	const char *vars[60];
	char nums[16][24], port[16], failpoints[300], seed[24], instance[8], instances[8];
	int k = cell_server_instance(c, r);
	struct topo_host *bot = topo_host(c->topo, "bot");
	/* A bot is a receiver too: it takes the recipients' timers (reconnects, heartbeats). */
	bool is_listen = strncmp(r->name, "recipient", 9) == 0 || strcmp(r->name, "bot") == 0;
	struct proc_spec spec;
	char **argv = NULL;
	int nv = 0, rc, mnt = -1;

	snprintf(port, sizeof port, "%d", c->st->port);
	failpoints[0] = '\0';
	/* The scenario's failpoints arm the first life of the server (server1 behind a balancer). */
	if (first_life && k == 1 && c->s->failpoints[0])
		snprintf(failpoints, sizeof failpoints, "%s", c->s->failpoints);
	if (first_life && strcmp(r->name, "bot") == 0 && c->s->bot_failpoints[0])
		snprintf(failpoints, sizeof failpoints, "%s", c->s->bot_failpoints);
	vars[nv++] = "bin"; vars[nv++] = c->o->bin_dir;
	vars[nv++] = "server"; vars[nv++] = server->addr;
	vars[nv++] = "addr"; vars[nv++] = host ? host->addr : "";
	vars[nv++] = "port"; vars[nv++] = port;
	vars[nv++] = "dir"; vars[nv++] = c->dir;
	vars[nv++] = "stackdir"; vars[nv++] = c->plan->stackdir;
	vars[nv++] = "channel"; vars[nv++] = c->channel_override ? c->channel_override : c->s->channel;
	vars[nv++] = "failpoints"; vars[nv++] = failpoints;
	snprintf(seed, sizeof seed, "%lu", c->plan->seed);
	vars[nv++] = "seed"; vars[nv++] = seed;
	vars[nv++] = "role"; vars[nv++] = r->name;
	vars[nv++] = "bot"; vars[nv++] = bot ? bot->addr : "";
	snprintf(instance, sizeof instance, "%d", k ? k : 1);
	snprintf(instances, sizeof instances, "%d", c->s->servers ? c->s->servers : 1);
	vars[nv++] = "instance"; vars[nv++] = instance;
	vars[nv++] = "instances"; vars[nv++] = instances;
	cell_set_setting_vars(c->plan, is_listen, vars, &nv, nums);
	vars[nv] = NULL;
	if (stack_expand(c->st, r->cmd, vars, &argv, err, errlen) == -1)
		return -1;
	cell_note_command(c, r, argv);
	spec.role = r->name;
	spec.netns_fd = host ? host->netns_fd : -1;
	spec.argv = argv;
	spec.log_dir = c->dir;
	spec.want_stdin = scn_client_number(r->name) > 0 || is_listen;
	/* Each life of the server sees its data folder through a mount of its own (disk.h). */
	if (c->disk && strcmp(r->name, "server") == 0) {
		mnt = disk_mount(c->disk, err, errlen);
		if (mnt < 0) {
			stack_argv_free(argv);
			return -1;
		}
	}
	proc_free(r->proc);
	r->proc = NULL;
	r->exited_recorded = false;
	r->eof = false;
	rc = proc_start_mounted(&r->proc, &spec, mnt, mnt >= 0 ? c->dir : NULL, err, errlen);
	if (mnt >= 0)
		close(mnt);
	stack_argv_free(argv);
	if (rc == 0)
		history_add(c->hist, r->name, json_pack("{s:s, s:b}", "ev", "started", "first_life", first_life),
			    mono_ns());
	return rc;
}

struct role *cell_add_role(struct cell *c, const char *name, const char *host,
				  const struct stack_cmd *cmd)
{
	struct role *r = &c->roles[c->nroles++];

	memset(r, 0, sizeof *r);
	str_copy(r->name, name, sizeof r->name);
	str_copy(r->host, host, sizeof r->host);
	r->cmd = cmd;
	return r;
}
