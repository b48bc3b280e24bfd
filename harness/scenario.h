/*
 * scenario: one experiment, parsed from a .scn file into plain data.
 * Parsing has no side effects; every node keeps its file, line and column
 * so errors and reports can point at the source.
 *
 * The language is line-oriented; '#' starts a comment; words are separated
 * by blanks; "double quoted" strings may hold blanks; durations are 250ms or
 * 2s. The leading comment block is the scenario's lesson. Statements:
 *
 *   scenario NAME                       required, first statement; NAME is
 *                                       [a-z0-9][a-z0-9_-]* (it names a folder)
 *   title "TEXT"                        one line for tables
 *   order N                             row position in the matrix (lower first; default 100)
 *   recipients N                        recipient hosts/roles (0..64, default 1)
 *   servers N behind haproxy            N instances of the stack's server (hosts and roles
 *                                       server1..serverN, 2..8) sharing {dir}, behind
 *                                       HAProxy in the host and role "lb", which the
 *                                       clients reach as {server}
 *   channel NAME                        default "general"
 *   sender STACK                        a receive-side scenario: its cells run STACK's
 *                                       client and server against each recipient stack
 *                                       ("kind recipient", stack.h), the columns of
 *                                       the receive-side matrix; expect lines name those
 *   server failpoints SPEC              passed to the server's first life only;
 *                                       chatd's grammar, checked when parsed:
 *                                       NAME=ACTION[@N[+]],... (e.g.
 *                                       before_persist=crash@3,persist=fail@2)
 *   client KEY VALUE [KEY VALUE...]     client timers: timeout-ms attempts
 *                                       backoff-base-ms backoff-cap-ms heartbeat-ms
 *                                       tcp-user-timeout-ms connect-timeout-ms
 *   listen KEY VALUE [...]              the same keys, for recipients
 *   sysctl HOST KEY=VALUE               e.g. sysctl client net.ipv4.tcp_retries2=3
 *                                       (net.* only; scenario_check_sysctls() looks
 *                                       the key up and checks the value's shape)
 *   rate HOST RATE                      tbf limit on HOST's link, e.g. 1mbit
 *   on TRIGGER: FAULT ARGS...           a rule, armed for the whole run:
 *        at DURATION | event ROLE EV [MSG] | packet MSG [from HOST] [to HOST]
 *        | exit ROLE, each optionally followed by "count N"
 *   on packet MSG [from HOST] [to HOST] [count N] hold [drop]: FAULT ARGS...
 *                                       the router holds the packet carrying MSG
 *                                       (and every later packet of its flow) until
 *                                       FAULT has been applied, then lets them go
 *                                       (or drops them: "hold drop"); with
 *                                       "crash server" the bytes meet a dead server.
 *                                       "from"/"to" name the hosts a packet goes
 *                                       between, on any packet trigger; holds and
 *                                       directions are decided in the router's
 *                                       packet queue, the rest from its capture
 *   send MSG [from clientK] [reply-to MSG] [to CHANNEL] ["TEXT"]
 *                                       from: the sender role (client, the default, or
 *                                       client2..client16, each a client process of the stack)
 *   workload clients K messages N rate R [recipients M] [channels C]
 *                                       N sends from K clients in turn, R per second, ids
 *                                       wK.J (client K's Jth), spread over C channels
 *                                       (the scenario's, then random, then chan3...)
 *   nemesis FAULT[,FAULT...] every D±J [for D]
 *                                       faults at random moments drawn from the run's seed
 *                                       by acklab explore (each held for D, default half of
 *                                       every); crash, pause, drop-replies, evict-nat,
 *                                       partition, delay, drop, reset, loss, disk-full
 *   send m1..m1000 [every DURATION] [to CHANNEL]
 *                                       a range: one send per id, DURATION apart
 *                                       workload steps, run in order (a reply
 *                                       points at the parent as recipient1 saw it):
 *   await ROLE EV [MSG] [within DURATION] [or go on]
 *                                       EV "done" = sent or failed; without MSG, an
 *                                       event said since the previous await; "or go
 *                                       on": a timeout is noted, not a failure
 *   await store has MSG [within DURATION]
 *                                       the stack's store command, run from the client
 *                                       host until its output holds MSG (asks nothing
 *                                       of the server but the read-back every stack has)
 *   await packet MSG at HOST [within DURATION]
 *                                       a packet carrying MSG has left the router
 *                                       toward HOST (seen by the capture, which can
 *                                       miss packets on a machine under heavy load)
 *   await ROLE connected|disconnected [within DURATION]
 *                                       a client's or recipient's connection (no MSG):
 *                                       "disconnected" holds once ROLE has said so
 *                                       since the latest fault fired, "connected"
 *                                       while its latest connection event is
 *                                       "connected"; to wait for a reconnect after a
 *                                       fault, await both, in that order. A role that
 *                                       has never reported a connection (an HTTP
 *                                       client) has none to wait for: both hold at once
 *   wait DURATION
 *   fault FAULT ARGS...                 FAULT as `acklab list` shows: process faults
 *                                       (crash, pause, ...), router rules (drop,
 *                                       partition, evict-nat, ...) and the router's
 *                                       queue (hold A B, delay A B 80ms [jitter 20ms],
 *                                       loss A B 5%, duplicate A B 5%, reorder A B 5%
 *                                       [by 10ms], drawn from the cell's seed)
 *                                       and storage faults: they act
 *                                       on the server's data folder ({dir}) through acklab's
 *                                       own FUSE filesystem and need no help from the server:
 *                                         disk-full server           writes fail with ENOSPC
 *                                         disk-error server [fsync|write|read]
 *                                                                    they fail with EIO (all
 *                                                                    three when none is named)
 *                                         disk-slow server MS        each fsync waits MS (200 or 200ms)
 *                                         lose-unsynced server       power cut: the server is killed
 *                                                                    (SIGKILL) and every write it
 *                                                                    had not fsynced is dropped;
 *                                                                    restart it (a rule on its exit)
 *                                       a stack offers them when its server command names {dir}
 *   heal [FAULT]
 *   settle DURATION                     the most to wait before reading the store
 *                                       (default 300ms); it ends early once every
 *                                       message is done, every recipient has shown
 *                                       every message the client showed Sent, none is
 *                                       reconnecting, and nothing has moved for 50 ms
 *   expect STACK|* clean | CLASS={m1,m2} | CLASS=N | CLASS<=N | attempts(MSG)=N ...
 *        CLASS is lost, duplicate, phantom, gap, orphan-reply, failed-stored,
 *        ts-mismatch, dup-push, reordered or failed-visible (checker_class.h).
 *        Classes not named must be empty, failed-visible too: a stack that
 *        gives up where the scenario lets it succeed is a failure.
 *        attempts(m2)=1 (also >= and <=) checks how often the client tried.
 *        A fault that touched nothing (no packet dropped, held, delayed or
 *        duplicated, no flow evicted, no process signalled, no file
 *        operation failed, delayed or dropped) fails the cell, its clean being vacuous,
 *        unless the line says "may-miss" (e.g. ws-naive never waits for the
 *        reply that lost-ack drops). "*" covers every stack not named (a stack's
 *        own expect line for the scenario wins over both: stack.h);
 *        naming a stack outside the defaults adds it as an extra cell.
 *
 * Files are UTF-8 text. Message text defaults to "MSG: message MSG"; the
 * runner appends the token.
 */
#ifndef ACKLAB_SCENARIO_H
#define ACKLAB_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

#include "checker_class.h"
#include "fault.h"
#include "trigger.h"

/* The most server instances behind a balancer (servers N behind haproxy). */
#define SCN_MAX_SERVERS 8
#define SCN_NAME_MAX 64
#define SCN_ID_MAX 32
#define SCN_MAX_STEPS 200000       /* a bound against runaway input, not a size: steps grow */
#define SCN_MAX_RULES 16
#define SCN_MAX_EXPECTS 16
#define SCN_MAX_SETTINGS 16
#define SCN_MAX_IDS 100000         /* the same, for messages and the ids of one expectation */
#define SCN_MAX_CLIENTS 16         /* sender roles: client, client2 .. client16 (scenario_workload.c) */
#define SCN_NEMESIS_MAX_FAULTS 8

struct scn_pos {
	int line, col;                /* 1-based */
};

struct scn_fault {
	char name[32];
	char args[FAULT_MAX_ARGS][32];
	int nargs;
	struct scn_pos pos;
};

enum scn_step_kind { SCN_SEND, SCN_AWAIT, SCN_WAIT, SCN_FAULT, SCN_HEAL };

struct scn_step {
	enum scn_step_kind kind;
	struct scn_pos pos;
	char msg_id[SCN_ID_MAX];      /* SEND, AWAIT (optional) */
	char reply_to[SCN_ID_MAX];    /* SEND: the parent message, or "" */
	char channel[SCN_ID_MAX];     /* SEND; "" = the scenario's channel */
	char text[256];               /* SEND; "" = default text */
	char role[32];                /* AWAIT ("store": await store has; "router": await packet);
	                                 SEND: the sender, "" for client (else client2..) */
	char ev[32];                  /* AWAIT ("has", "packet" for those two) */
	char host[32];                /* AWAIT packet: the host the packet went to */
	int within_ms;                /* AWAIT; default 5000 */
	bool or_go_on;                /* AWAIT ... or go on: a timeout is noted and the workload goes on */
	int ms;                       /* WAIT */
	struct scn_fault fault;       /* FAULT; HEAL (name may be "") */
};

struct scn_rule {
	struct trigger trigger;
	struct scn_fault fault;
	struct scn_pos pos;
};

struct scn_class_expect {
	bool named;                   /* appears in the expect line */
	bool is_set;                  /* {a,b} (exact ids) rather than N (a count) */
	bool at_most;                 /* CLASS<=N: at most count (a property of explored runs) */
	char (*ids)[SCN_ID_MAX];      /* owned by the scenario; grows */
	int nids, capids;
	int count;
};

/* attempts(m2)=1, attempts(m2)>=2, attempts(m2)<=3 */
struct scn_attempts_expect {
	char id[SCN_ID_MAX];
	char op;                      /* '=' exactly, '>' at least, '<' at most */
	int n;
	struct scn_pos pos;
};
#define SCN_MAX_ATTEMPTS 16

struct scn_expect {
	char stack[SCN_NAME_MAX];     /* "*" for the default */
	struct scn_class_expect cls[CHK_CLASS_COUNT];
	struct scn_attempts_expect attempts[SCN_MAX_ATTEMPTS];
	int nattempts;
	bool may_miss;                /* "may-miss": a fault that touches nothing is expected here */
	struct scn_pos pos;
};

struct scn_setting {
	char key[32];                 /* "timeout-ms" */
	long value;
};

struct scn_sysctl {
	char host[32], key[96], value[32];
	struct scn_pos pos;
	struct scn_pos key_pos, value_pos;
};

struct scn_rate {
	char host[32], rate[32];
	struct scn_pos pos;
};

/*
 * nemesis FAULT[,FAULT...] every D±J [for D]: faults drawn at random moments
 * from a run's seed (scenario_workload.c parses it; explore_schedule.c
 * draws it into plain fault and heal steps, which is what a plan runs).
 */
struct scn_nemesis {
	char faults[SCN_NEMESIS_MAX_FAULTS][32];
	int nfaults;                  /* 0: the scenario has no nemesis */
	int every_ms, jitter_ms, for_ms;
	struct scn_pos pos;
};

struct scenario {
	char path[512];
	char name[SCN_NAME_MAX];
	char title[128];
	char lesson[2048];            /* the leading comment block, '#' stripped */
	int recipients;
	int servers;                  /* 0: one server (host and role "server"); 2..8 behind a balancer */
	char balancer[16];            /* "haproxy" when servers > 0 */
	char channel[SCN_ID_MAX];
	char failpoints[256];
	char sender[SCN_NAME_MAX];    /* "sender STACK": a receive-side scenario; "" for a send-side one */
	struct scn_pos sender_pos;
	bool bot;                     /* a bot role on a host of its own (scenario_bot.c) */
	char bot_failpoints[64];      /* the bot's first life: "process=crash@3", or "" */
	unsigned bot_over;            /* CAP_BOT_HTTP or CAP_BOT_WS when the scenario needs that delivery; 0: any */
	struct scn_setting client[SCN_MAX_SETTINGS];
	int nclient;
	struct scn_setting listen[SCN_MAX_SETTINGS];
	int nlisten;
	struct scn_sysctl sysctls[8];
	int nsysctls;
	struct scn_rate rates[4];
	int nrates;
	struct scn_rule rules[SCN_MAX_RULES];
	int nrules;
	struct scn_step *steps;       /* owned; grows */
	int nsteps, capsteps;
	struct scn_expect expects[SCN_MAX_EXPECTS];
	int nexpects;
	int settle_ms;
	int order;                    /* row position in the matrix: lower first */
	char (*msg_ids)[SCN_ID_MAX];  /* every message sent, in order; owned; grows */
	int nmsgs, capmsgs;
	int clients;                  /* sender roles (1: "client" only; K: client, client2..clientK) */
	struct scn_nemesis nemesis;
};

/* A fault a nemesis can draw: how it is applied and healed (scenario_workload.c). */
struct scn_nemesis_fault {
	const char *name;             /* "drop-replies" */
	const char *apply;            /* FAULT ARGS of its fault step: "drop-replies client server" */
	const char *heal;             /* the step that ends it ("heal drop-replies", "fault restart
	                                 server"), or NULL when it is over at once (evict-nat) */
};
const struct scn_nemesis_fault *scn_nemesis_fault_lookup(const char *name);
/* "crash, pause, ..." for messages. */
const char *scn_nemesis_fault_list(void);
/* 1 for "client", K for "clientK" (2..SCN_MAX_CLIENTS), 0 for anything else. */
int scn_client_number(const char *role);
/* The role of client K: "client" for 1, else "clientK". */
void scn_client_role(int k, char *dst, size_t len);

/*
 * Parse a file. On error returns -1 with err like
 * "scenarios/lost-ack.scn:7:12: unknown fault 'drop-reply' (did you mean 'drop-replies'?)".
 * On success *out is owned by the caller (scenario_free).
 */
int scenario_parse_file(const char *path, struct scenario **out, char *err, size_t errlen);
/* Same, from a string; name is used as the file name in errors. */
int scenario_parse_string(const char *name, const char *text, struct scenario **out,
			  char *err, size_t errlen);
void scenario_free(struct scenario *s);

/* The expectation for stack: its own line, else "*" if stack is a default stack, else NULL. */
const struct scn_expect *scenario_expect_for(const struct scenario *s, const char *stack,
					     bool is_default_stack);

/*
 * One expect line of another file, in the same grammar: a stack file's
 * "expect SCENARIO CLASS=... ..." (stack.h), whose word 1 names a scenario.
 * text is the whole line, line its number in file (for errors as
 * "file:line:col: ..."). With against, every message id it names must be
 * one that scenario sends. Returns 0 with *out filled (its ids owned: release
 * with scenario_expect_release), or -1 with err.
 */
int scenario_expect_parse_line(const char *file, int line, const char *text,
			       const struct scenario *against, struct scn_expect *out, char *err,
			       size_t errlen);
void scenario_expect_release(struct scn_expect *e);

/*
 * Check what only this machine can tell, changing nothing: every sysctl key
 * exists in a host's network namespace, and its value has the shape of the
 * key's own (a number for a number, three numbers for three). Errors point
 * at the key or the value: "x.scn:4:15: unknown sysctl 'net.ipv4.tcp_retries3'
 * (did you mean 'net.ipv4.tcp_retries2'?)". Returns 0, -1 with err, or 1
 * with err saying why the keys could not be looked up (no namespaces here).
 */
int scenario_check_sysctls(const struct scenario *s, char *err, size_t errlen);

/* A client/listen setting, or def when not set. */
long scenario_setting(const struct scn_setting *set, int n, const char *key, long def);

#endif
