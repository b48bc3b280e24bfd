/*
 * stack: a send stack as data. A column of the matrix is a small text file,
 * scenarios/stacks/NAME.stack, naming the commands to run, so a vendor's
 * client or server is a new file, not a code change:
 *
 *   stack ws-ack
 *   describe "WebSocket send that waits for an app-level ack; resends without a key"
 *   client {bin}/chatc --server http://{server}:{port} --mode ws-ack --timeout-ms {timeout-ms} ...
 *   listen {bin}/chatc --server http://{server}:{port} --mode listen --channel {channel} ...
 *   server {bin}/chatd --listen {addr}:{port} --db {dir}/chat.db --ws-mode ack --events - {failpoints}
 *   store  {bin}/chatc --server http://{server}:{port} --mode history --channel {channel}
 *   bot    {bin}/chatc --mode bot-events --bot-listen {addr}:9000 ... {failpoints}
 *   bot-store {bin}/chatc --mode bot-record --bot-store {dir}/bot.jsonl ...
 *                               # optional, together: a bot role on its own host for
 *                               # scenarios that say `bot`, and the read-back of the
 *                               # events it processed, one JSON line each (offers bot;
 *                               # {failpoints} in the bot command offers bot-failpoints)
 *   timers timeout-ms 1500 connect-timeout-ms 1000
 *                               # the stack's own timers (a server with 100 ms of protocol
 *                               # latency needs other timers than chatd): for client and
 *                               # recipients ("timers client ..." or "timers listen ..." for
 *                               # one); each wins over the scenario's value of that timer,
 *                               # and its {placeholder} must be in the command it is for
 *   setup  {stackdir}/make-users.sh http://{server}:{port}
 *                               # optional: once per cell, in the server's host, after the
 *                               # server is first ready and before recipients and client start
 *                               # (users, sessions, channels); a failure or a run longer than
 *   setup-timeout-ms 10000      # this (default 10 s) makes the cell an error with its stderr's end
 *   port   8080
 *   ready  line                 # "line": a {"ev":"ready"} line on stdout; "port": the port accepts
 *   offers failpoints events restart catchup
 *                               # what the stack can do for scenarios (capability.h);
 *                               # a scenario that needs more is n/a on this stack
 *   requires {bin}/browserc --probe
 *                               # optional: run once per run before any cell of the stack;
 *                               # if it fails, the stack's cells are n/a with its last line
 *                               # (a third-party program the machine may lack, e.g. a browser)
 *   default yes                 # a column of the default matrix (else only when a scenario names it)
 *   order   20                  # column position in the matrix (lower first; default 100, then by name)
 *   expect lost-ack duplicate={m3}
 *                               # the stack's own expectation for a scenario, in the scenario's
 *                               # expect grammar; it wins over the scenario's lines (stack_expect.c)
 *
 * NAME is lowercase letters, digits, '-' and '_', starting with a letter or
 * a digit (it names the cell folders of a run). Placeholders are {name};
 * each expands within its word: {bin} {server} {addr} {port} {dir}
 * {stackdir} {channel} {failpoints} {seed} {role} {bot} (the bot host's
 * address, "" without a bot), and the scenario's client settings (for
 * listen, its recipient settings) {timeout-ms} {attempts} {backoff-base-ms}
 * {backoff-cap-ms} {heartbeat-ms} {tcp-user-timeout-ms}
 * {connect-timeout-ms}, with acklab's defaults when unset. Any other is an
 * error when the file is read. {failpoints} must be a word of its own: it
 * expands to the two words "--failpoints SPEC", or to nothing.
 *
 * {stackdir} is the stack file's folder, absolute (a vendor's adapter lives
 * beside the stack file); the plan records it, so a rerun from its plan.json
 * finds it from any working folder. {dir} is the cell's folder, absolute,
 * where the server keeps its data (chatd:
 * --db {dir}/chat.db). When the scenario uses a storage fault (disk-full,
 * disk-error, disk-slow, lose-unsynced), each life of the server sees that
 * same path through acklab's FUSE filesystem, mounted in the server's own
 * mount namespace and passing through to the real folder (disk.h); other
 * roles, and acklab's logs, see the real folder. So a server command that
 * names {dir} offers "storage"; one that keeps its data elsewhere does
 * not, and scenarios with storage faults are n/a on it.
 *
 * A recipient stack (the columns of the receive-side matrix) says "kind
 * recipient" and gives a listen command, and no client: its cells run the
 * receive scenario's sender stack (scenario.h, "sender") with this listen
 * command in place of the sender's. It may give a server, store, port and
 * ready of its own too (all of server, store and port, then), which replace
 * the sender's; its "offers" then speak for the server as well, and
 * otherwise only "catchup" is read from it (recipient.h).
 *
 *   stack    listen-catchup
 *   kind     recipient
 *   listen   {bin}/chatc --server http://{server}:{port} --mode listen --catchup cursor ...
 *   offers   catchup
 *   default  yes
 *
 * A .stack file is code, not data. Its commands are run as they are, with
 * acklab's privileges: the sandbox gives each role its own network, process
 * group and /tmp, but not its own files or users, so a stack run by root can
 * read and change anything on the machine, exactly as root could. Run only
 * stack files you would run as that user yourself; `acklab check` warns
 * about a stack file outside the project's scenarios/stacks folder. (A
 * scenario file is data: it names stacks and faults but runs no command.)
 */
#ifndef ACKLAB_STACK_H
#define ACKLAB_STACK_H

#include <stdbool.h>
#include <stddef.h>

#include "scenario.h"

#define STACK_MAX_ARGS 48
#define STACK_MAX_EXPECTS 256
#define STACK_SETUP_TIMEOUT_MS 10000
#define STACK_MAX_TIMERS 32

/* timers [client|listen] KEY VALUE...: a timer of the stack's own, which wins over the scenario's. */
struct stack_timer {
	char key[32];                 /* "timeout-ms", as the scenario's client/listen settings */
	long value;
	bool client, listen;          /* whose timer it sets (both when the line names neither) */
	int line, col;                /* of the key, for errors */
};

/* expect SCENARIO ...: the stack's own expectation for one scenario (stack_expect.c). */
struct stack_expect {
	char scenario[64];            /* the scenario it is for */
	int line, col;                /* where it is in the stack file (col: the scenario's name) */
	char *text;                   /* the whole line, owned: checked again against the scenario */
	struct scn_expect e;          /* e.stack is this stack's name; its ids are owned */
};

struct stack_cmd {
	char *words[STACK_MAX_ARGS];  /* template words, owned */
	int nwords;
	int line;
};

struct stack {
	char path[512];
	char name[64];
	char describe[256];
	struct stack_cmd client, listen, server, store;
	struct stack_cmd bot, bot_store;   /* optional, together: the bot role and its record's read-back */
	struct stack_cmd setup;       /* optional: run once, after the server is first ready */
	int setup_timeout_ms;         /* the most setup may take (default STACK_SETUP_TIMEOUT_MS) */
	struct stack_cmd requires;    /* run once per run; failing makes the cells n/a (nwords 0: none) */
	int port;
	bool ready_port;              /* readiness by port instead of a ready line */
	unsigned offers;              /* capability bits (capability.h) */
	bool is_default;
	int order;                    /* column position: lower first */
	bool recipient;               /* "kind recipient": a column of the receive-side matrix */
	int kind_line;                /* the line of "kind", or 0 */
	struct stack_timer timers[STACK_MAX_TIMERS];   /* in file order: a later one wins */
	int ntimers;
	struct stack_expect *expects; /* owned; in file order */
	int nexpects;
};

struct stack_set {
	struct stack *stacks;
	int n;
};

/* Parse one .stack file. Errors as "scenarios/stacks/x.stack:3:1: ...". */
int stack_parse_file(const char *path, struct stack **out, char *err, size_t errlen);
int stack_parse_string(const char *name, const char *text, struct stack **out, char *err, size_t errlen);
void stack_free(struct stack *s);

/* Every *.stack in dir, sorted by order, then name. */
int stack_load_dir(const char *dir, struct stack_set *out, char *err, size_t errlen);
void stack_set_free(struct stack_set *set);
struct stack *stack_find(struct stack_set *set, const char *name);

/*
 * The stack's own expectations (stack_expect.c). stack_expect_add parses one
 * "expect SCENARIO ..." line (the scenario language's grammar) into s;
 * stack_expect_for finds the one for a scenario, or NULL. stack_check_expects
 * checks them against the scenarios known (scns, n): the message ids each
 * names must be that scenario's, and when complete (scns is every scenario
 * there is) a scenario that is not there is an error with a suggestion:
 * "mine.stack:9:8: unknown scenario 'lost-ak' (did you mean 'lost-ack'?)".
 */
int stack_expect_add(struct stack *s, const char *file, int lineno, const char *text, char *err,
		     size_t errlen);
const struct stack_expect *stack_expect_for(const struct stack *st, const char *scenario);
int stack_check_expects(const struct stack *st, struct scenario *const *scns, int n, bool complete,
			char *err, size_t errlen);
void stack_expects_free(struct stack *s);

/*
 * The stack's own value of a timer (key as in stack_timer) for the client
 * (listener=false) or the recipients, or -1 when it sets none; *line gets
 * the line that set it.
 */
long stack_timer(const struct stack *s, bool listener, const char *key, int *line);

/* Variables for expansion: NULL-terminated pairs {"server","198.18.2.2", ..., NULL}. */
typedef const char *const *stack_vars;

/*
 * Expand cmd into a NULL-terminated argv (caller frees with stack_argv_free).
 * An unknown placeholder is an error naming it and the stack file line.
 */
int stack_expand(const struct stack *s, const struct stack_cmd *cmd, stack_vars vars,
		 char ***argv_out, char *err, size_t errlen);
void stack_argv_free(char **argv);
/* The closing brace of the placeholder {name} starting at c (a '{'), or NULL when it is none (JSON, say). */
const char *stack_placeholder_end(const char *c);

/*
 * The stack's `requires` command, run once per process (the result is kept
 * by stack name) with {bin} expanded: 0 when it exits 0 within 60 s or the
 * stack has none, else -1 with why ("`{bin}/browserc ...` (path:line)
 * failed here: exit 1: <its last line>"). Its cells are then n/a.
 */
int stack_requires_met(const struct stack *st, const char *bin_dir, char *why, size_t whylen);

#endif
