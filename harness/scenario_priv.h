/*
 * scenario_priv: what the files of the scenario parser share. It is
 * not an interface for other modules: scenario_lex.c owns the words of a
 * line, their values (names, durations, numbers), errors with positions,
 * suggestions and the names checked after the whole file is read;
 * scenario.c owns the statements; scenario_rule.c the on statement and the
 * FAULT ARGS it shares with the fault statement; scenario_expect.c the
 * expect statement and scenario_failpoint.c the failpoint spec grammar.
 */
#ifndef ACKLAB_SCENARIO_PRIV_H
#define ACKLAB_SCENARIO_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "scenario.h"

#define SCN_MAX_WORDS 64
#define SCN_MAX_REFS 1000000
#define SCN_LINE_MAX 4096

struct scn_word {
	char text[512];
	int col;
	bool quoted;
};

enum scn_ref_kind { SCN_REF_HOST, SCN_REF_ROLE, SCN_REF_MSG };

/* A name that can only be checked after the whole file is read. */
struct scn_ref {
	enum scn_ref_kind kind;
	char name[SCN_ID_MAX];
	struct scn_pos pos;
};

struct scn_parser {
	const char *file;
	struct scenario *s;
	char *err;
	size_t errlen;
	int line;
	struct scn_word w[SCN_MAX_WORDS];
	int nw;
	int end_col;                  /* column just past the line's last word */
	const char *usage;            /* the current statement's usage, for "expected" */
	struct scn_ref *refs;         /* grows; freed with the parser */
	int nrefs, caprefs;
	struct scn_pos scenario_pos;
	bool seen_scenario;
};

/* Errors: "FILE:LINE:COL: msg" into p->err at the current line; always -1. */
int scn_err(struct scn_parser *p, int col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int scn_err_at(struct scn_parser *p, struct scn_pos pos, const char *msg);

/* The closest of a NULL-terminated list if it looks like a typo, else NULL. */
const char *scn_suggest(const char *word, const char *const *names);
/* The closest fault name (ours, else fault_suggest()'s), or NULL. */
const char *scn_fault_suggest(const char *word);
/*
 * Is ev something role says? Client and recipient events are the protocol's
 * closed set; a server's unknown event is accepted unless it is a near miss
 * of a known one. "done" (sent or failed) only where allow_done.
 */
int scn_event_ref(struct scn_parser *p, int i, const char *role, const char *ev, bool allow_done);

/* " (did you mean 'x'?)" into buf, or "" when suggestion is NULL; returns buf. */
const char *scn_did_you_mean(const char *suggestion, char *buf, size_t len);

bool scn_is_blank(char c);
bool scn_is_ident(const char *s);
/* Split one line into p->w; '#' outside quotes ends it. */
int scn_split(struct scn_parser *p, const char *line);
/* The position of word i (or just past the line when i is beyond it). */
struct scn_pos scn_pos_of(struct scn_parser *p, int i);
/* Word i must exist / nothing may be at word i; errors name p->usage. */
int scn_need(struct scn_parser *p, int i, const char *what);
int scn_no_more(struct scn_parser *p, int i);

/* Values of word i, each -1 with a positioned error when malformed. */
int scn_ident(struct scn_parser *p, int i, const char *what, char *dst, size_t len);
/* A scenario or stack name: [a-z0-9][a-z0-9_-]* (it names a folder of the run). */
int scn_name(struct scn_parser *p, int i, const char *what, char *dst, size_t len);
int scn_duration(struct scn_parser *p, int i, int *ms);
int scn_number(struct scn_parser *p, int i, long min, long max, const char *what, long *out);

/* Names checked once the file is read (hosts, roles, message ids). */
int scn_add_ref(struct scn_parser *p, enum scn_ref_kind kind, const char *name, int col);
int scn_msg_ref(struct scn_parser *p, int i, char *dst);
int scn_role_ref(struct scn_parser *p, int i, char *dst, size_t len, enum scn_ref_kind kind);
int scn_check_refs(struct scn_parser *p);
/*
 * Make room for one more element in *v (n used, *cap allocated, size bytes
 * each), doubling; limit is the most the language allows. 0, or -1 with the
 * parser's error at col ("too many WHAT (at most LIMIT)", or out of memory).
 */
int scn_grow(struct scn_parser *p, void **v, int n, int *cap, size_t size, int limit, const char *what,
	     int col);

/* Words [i, nw) are FAULT ARGS...; "heal [FAULT]" is accepted when allow_heal (scenario_rule.c). */
int scn_fault(struct scn_parser *p, int i, struct scn_fault *f, bool allow_heal);
/* The on statement (scenario_rule.c). */
int scn_st_on(struct scn_parser *p);
/* Word i names the host at one end of a packet: any host with a link (not the router). */
int scn_packet_host(struct scn_parser *p, int i, char *dst, size_t len);

/* The expect statement (scenario_expect.c). */
int scn_st_expect(struct scn_parser *p);

/* The bot statement, and the events a bot says (scenario_bot.c). */
int scn_st_bot(struct scn_parser *p);
extern const char *const scn_bot_events[];
/* scenario_workload.c: the workload and nemesis statements, and "from clientK" (word i) of a send. */
int scn_st_workload(struct scn_parser *p);
int scn_st_nemesis(struct scn_parser *p);
int scn_send_from(struct scn_parser *p, int i, struct scn_step *st);

/* Word i is a failpoint spec in chatd's grammar (scenario_failpoint.c); errors point into it. */
int scn_failpoints(struct scn_parser *p, int i);

#endif
