/*
 * history_scan: the fields of one history entry that the checker reads, as
 * plain C values, found either in a jansson object or straight in a line
 * of history.jsonl text.
 *
 * A history of a million messages is five million lines; parsing each into
 * a jansson object and walking its keys costs more than everything the
 * checker does with them. The runner writes its lines in one plain shape
 * (history_write_jsonl: compact, "t" first, strings mostly printable
 * ASCII), so history_scan_line() reads that shape directly and says "not
 * mine" for anything else (whitespace, \u escapes, non-ASCII bytes, nested
 * values, numbers it would have to round, a key of interest given twice).
 * The caller then parses the line with jansson and takes the fields with
 * history_fields_of(): so every line gives the fields jansson would give,
 * and the scanner only ever has to be right about the lines it accepts.
 * tests/unit/harness_history_scan.c and tests/fuzz/harness_history_scan.c
 * hold the two ways to each other.
 */
#ifndef ACKLAB_HISTORY_SCAN_H
#define ACKLAB_HISTORY_SCAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum history_ts_kind {
	HISTORY_TS_NONE,              /* absent, or not a string or a number */
	HISTORY_TS_STRING,
	HISTORY_TS_INTEGER,
	HISTORY_TS_REAL,
};

/*
 * One entry's fields. A string is NULL when its key is absent or its value
 * is not a string (as json_string_value() says); strings are borrowed from
 * the line or the object they were found in.
 */
struct history_fields {
	const char *role, *ev, *id, *token, *text, *via, *channel, *parent, *parent_ts;
	bool has_role, has_ev;        /* the key is there, whatever its value */
	bool t_is_integer;
	int64_t t;                    /* when t_is_integer */
	enum history_ts_kind ts_kind;
	const char *ts_string;
	long long ts_integer;
	double ts_real;
	long long attempt, attempts;  /* 0 unless integers */
	bool watched_false;           /* "watched": false */
	/*
	 * The first token in text (token.h), text[text_token_at ..] for
	 * text_token_len bytes (0: text holds none), where history_lines' readers
	 * looked for it ahead of the checker; text_token_known false where nobody
	 * did (the checker then looks itself).
	 */
	bool text_token_known;
	unsigned text_token_at, text_token_len;
};

/* The fields of e (a JSON object; anything else has none). Strings are borrowed from e. */
void history_fields_of(json_t *e, struct history_fields *f);

/*
 * Read line[0..len) (line[len] must be '\0'), a line as the runner writes
 * it. Returns true with f filled when the line is one this scanner reads;
 * then strings in f point into line, which has been changed in place (NULs
 * after them, escapes undone), so use f, not line, afterwards. Returns
 * false, line untouched, for anything else: the caller parses it with
 * jansson (json_loads(line, 0, ...)) and uses history_fields_of().
 */
bool history_scan_line(char *line, size_t len, struct history_fields *f);

#endif
