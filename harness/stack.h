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
 *   port   8080
 *   ready  line                 # "line": a {"ev":"ready"} line on stdout; "port": the port accepts
 *   offers failpoints events restart catchup
 *                               # what the stack can do for scenarios (capability.h);
 *                               # a scenario that needs more is n/a on this stack
 *   default yes                 # a column of the default matrix (else only when a scenario names it)
 *   order   20                  # column position in the matrix (lower first; default 100, then by name)
 *
 * NAME is lowercase letters, digits, '-' and '_', starting with a letter or
 * a digit (it names the cell folders of a run). Placeholders are {name};
 * each expands within its word: {bin} {server} {addr} {port} {dir} {channel}
 * {failpoints} {seed} {role} {bot} (the bot host's address, "" without a bot),
 * and the scenario's client settings (for
 * listen, its recipient settings) {timeout-ms} {attempts} {backoff-base-ms}
 * {backoff-cap-ms} {heartbeat-ms} {tcp-user-timeout-ms}
 * {connect-timeout-ms}, with acklab's defaults when unset. Any other is an
 * error when the file is read. {failpoints} must be a word of its own: it
 * expands to the two words "--failpoints SPEC", or to nothing.
 *
 * {dir} is the cell's folder, where the server keeps its data (chatd:
 * --db {dir}/chat.db). When the scenario uses a storage fault (disk-full,
 * disk-error, disk-slow, lose-unsynced), each life of the server sees that
 * same path through acklab's FUSE filesystem, mounted in the server's own
 * mount namespace and passing through to the real folder (disk.h); other
 * roles, and acklab's logs, see the real folder. So a server command that
 * names {dir} offers "storage"; one that keeps its data elsewhere does
 * not, and scenarios with storage faults are n/a on it.
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

#define STACK_MAX_ARGS 48

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
	int port;
	bool ready_port;              /* readiness by port instead of a ready line */
	unsigned offers;              /* capability bits (capability.h) */
	bool is_default;
	int order;                    /* column position: lower first */
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

/* Variables for expansion: NULL-terminated pairs {"server","198.18.2.2", ..., NULL}. */
typedef const char *const *stack_vars;

/*
 * Expand cmd into a NULL-terminated argv (caller frees with stack_argv_free).
 * An unknown placeholder is an error naming it and the stack file line.
 */
int stack_expand(const struct stack *s, const struct stack_cmd *cmd, stack_vars vars,
		 char ***argv_out, char *err, size_t errlen);
void stack_argv_free(char **argv);

#endif
