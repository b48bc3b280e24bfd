/*
 * cell_lb: the servers of a cell with `servers N behind haproxy`. The
 * stack's server command runs once per instance, in hosts server1..serverN,
 * each told which it is ({instance}/{instances}) and all sharing {dir};
 * once every instance is ready, HAProxy starts in the host "lb" with the
 * configuration balancer.h writes, and is ready when its port accepts
 * connections. Clients reach the lb as {server}. Faults that drain an
 * instance talk to HAProxy through cell_lb_command().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balancer.h"
#include "cell.h"
#include "util.h"

/* HAProxy's command line, as a stack command the cell owns ({dir} expanded like any other). */
static int cell_lb_make_cmd(struct cell *c, const char *haproxy, char *err, size_t errlen)
{
	static const char *const words[] = { NULL, "-f", "{dir}/" BALANCER_CONFIG, "-db" };

	memset(&c->lb_cmd, 0, sizeof c->lb_cmd);
	for (size_t i = 0; i < ARRAY_LEN(words); i++) {
		c->lb_cmd.words[i] = strdup(i ? words[i] : haproxy);
		if (!c->lb_cmd.words[i])
			return err_set(err, errlen, "out of memory");
		c->lb_cmd.nwords++;
	}
	return 0;
}

void cell_lb_free(struct cell *c)
{
	for (int i = 0; i < c->lb_cmd.nwords; i++)
		free(c->lb_cmd.words[i]);
	memset(&c->lb_cmd, 0, sizeof c->lb_cmd);
}

int cell_start_servers(struct cell *c)
{
	struct role *rs[TOPO_MAX_SERVERS], *lb;
	const char *addrs[TOPO_MAX_SERVERS];
	char err[1024], haproxy[512], name[32];
	int n = c->s->servers;
	size_t from;

	if (balancer_find(haproxy, sizeof haproxy) == -1) {
		cell_fail(c, "HAProxy is not installed here (Debian's package haproxy; ./run.sh installs it)");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof name, "server%d", i + 1);
		rs[i] = cell_add_role(c, name, name, &c->st->server);
		addrs[i] = topo_host(c->topo, name)->addr;
	}
	/*
	 * server1 first, alone: it makes the store (a new SQLite database turned to
	 * WAL mode by two processes at once is "locked" for one of them); then
	 * the others together.
	 */
	if (cell_start_all(c, rs, 1) == -1)
		return -1;
	from = c->nlog;
	for (int i = 1; i < n; i++)
		if (cell_start_role(c, rs[i], true, err, sizeof err) == -1) {
			cell_fail(c, "stack %s: %s: %s", c->st->name, rs[i]->name, err);
			return -1;
		}
	if (cell_await_ready(c, rs + 1, n - 1, from) == -1)
		return -1;
	if (balancer_write_config(&c->out, c->topo->server->addr, c->st->port, addrs, n, err, sizeof err) == -1 ||
	    cell_lb_make_cmd(c, haproxy, err, sizeof err) == -1) {
		cell_fail(c, "balancer: %s", err);
		return -1;
	}
	lb = cell_add_role(c, "lb", "lb", &c->lb_cmd);
	return cell_start_all(c, &lb, 1);
}

int cell_lb_command(void *arg, const char *cmd, char *reply, size_t len, char *err, size_t errlen)
{
	struct cell *c = arg;
	char sock[PATH_MAX];

	if (!c->s->servers)
		return err_set(err, errlen, "this scenario has no balancer (servers N behind haproxy)");
	snprintf(sock, sizeof sock, "%s/%s", c->dir, BALANCER_SOCKET);
	return balancer_command(sock, cmd, 1000, reply, len, err, errlen);
}
