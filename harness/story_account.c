/*
 * story_account: one message told attempt by attempt, for the contrast a
 * report puts beside each bug: the same message in a stack that survived
 * the same fault. What decides a duplicate is visible here and nowhere
 * else in one place: whether each attempt carried a client_msg_id, whether
 * the server stored a new row or found the first one (duplicate: true),
 * which ts the client was given, and how many rows the store ended with.
 * It reads the cell's history as the story does, and nothing else.
 */
#include "story_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"
#include "util.h"

#define ACCOUNT_MAX_ATTEMPTS 8

struct account_attempt {
	bool read;                    /* the server read it */
	char key[64];                 /* how the server saw its key */
	char did[200];                /* what the server did with it */
	char answer[96];              /* what it answered, or "" */
};

static bool account_concerns(json_t *e, const struct chk_message *m)
{
	const char *id = story_str(e, "id"), *token = story_str(e, "token"), *text = story_str(e, "text");

	return (id && strcmp(id, m->id) == 0) || (token && strcmp(token, m->token) == 0) ||
	       token_in_text(text, m->token);
}

static void account_server(struct account_attempt *a, json_t *e, const char *ev)
{
	json_t *key = json_object_get(e, "client_msg_id");
	const char *ts = story_str(e, "ts"), *err = story_str(e, "error");

	if (strcmp(ev, "recv") == 0) {
		a->read = true;
		if (json_is_string(key))
			snprintf(a->key, sizeof a->key, "with client_msg_id %.8s…", json_string_value(key));
		else if (json_is_null(key))
			snprintf(a->key, sizeof a->key, "without a client_msg_id");
	} else if (strcmp(ev, "persisted") == 0) {
		if (json_is_true(json_object_get(e, "duplicate")))
			story_cat(a->did, sizeof a->did, "%sfound the row it had stored (duplicate: true), ts %s",
				  a->did[0] ? ", then " : "", ts ? ts : "?");
		else
			story_cat(a->did, sizeof a->did, "%sstored a new row, ts %s (duplicate: false)",
				  a->did[0] ? ", then " : "", ts ? ts : "?");
	} else if (strcmp(ev, "persist_failed") == 0) {
		story_cat(a->did, sizeof a->did, "%scould not store it", a->did[0] ? ", then " : "");
	} else if (strcmp(ev, "failpoint") == 0) {
		story_cat(a->did, sizeof a->did, "%shit failpoint %s=%s", a->did[0] ? ", then " : "",
			  story_str(e, "name") ? story_str(e, "name") : "?",
			  story_str(e, "action") ? story_str(e, "action") : "?");
	} else if (strcmp(ev, "replied") == 0) {
		snprintf(a->answer, sizeof a->answer, err ? "answered %s" : "answered ts %s", err ? err : ts ? ts : "?");
	}
}

int story_account(const struct cell_result *c, const char *id, char *buf, size_t len)
{
	struct account_attempt at[ACCOUNT_MAX_ATTEMPTS + 1];
	const struct chk_message *m = NULL;
	char shown[160] = "";
	int k = 0, stored = 0;
	size_t n = c->history ? history_len(c->history) : 0;

	for (int i = 0; i < c->chk.nmsgs; i++)
		if (strcmp(c->chk.msgs[i].id, id) == 0)
			m = &c->chk.msgs[i];
	if (!m || !n || c->history_events_only)
		return -1;
	memset(at, 0, sizeof at);
	for (size_t j = 0; j < n; j++) {
		json_t *e = history_at(c->history, j);
		const char *role = story_str(e, "role"), *ev = story_str(e, "ev"), *ts = story_str(e, "ts");

		if (!role || !ev || !account_concerns(e, m))
			continue;
		if (strcmp(role, "client") == 0 && strcmp(ev, "sending") == 0) {
			long long a = json_integer_value(json_object_get(e, "attempt"));

			k = a > 0 && a <= ACCOUNT_MAX_ATTEMPTS ? (int)a : k < ACCOUNT_MAX_ATTEMPTS ? k + 1 : k;
		} else if (strcmp(role, "client") == 0 && strcmp(ev, "sent") == 0) {
			if (ts)
				snprintf(shown, sizeof shown, "The client showed Sent with ts %s.", ts);
			else
				snprintf(shown, sizeof shown, "The client showed Sent, with no ts from the server.");
		} else if (strcmp(role, "client") == 0 && strcmp(ev, "failed") == 0) {
			snprintf(shown, sizeof shown, "The client showed Failed: %s.",
				 story_str(e, "error") ? story_str(e, "error") : "?");
		} else if (strcmp(role, "server") == 0) {
			account_server(&at[k ? k : 1], e, ev);
		} else if (strcmp(role, "store") == 0 && strcmp(ev, "stored") == 0) {
			stored++;
		}
	}
	snprintf(buf, len, "%s: %d attempt%s.", c->stack, m->attempts, m->attempts == 1 ? "" : "s");
	for (int a = 1; a <= ACCOUNT_MAX_ATTEMPTS && a <= (k ? k : 1); a++) {
		if (!at[a].read) {
			story_cat(buf, len, " Attempt %d never reached the server's code.", a);
			continue;
		}
		story_cat(buf, len, " Attempt %d: the server read it%s%s", a, at[a].key[0] ? " " : "", at[a].key);
		if (at[a].did[0])
			story_cat(buf, len, ", %s", at[a].did);
		story_cat(buf, len, "%s%s.", at[a].answer[0] ? ", and " : "; no answer came back",
			  at[a].answer);
	}
	if (shown[0])
		story_cat(buf, len, " %s", shown);
	story_cat(buf, len, " The store holds %d row%s of it.", stored, stored == 1 ? "" : "s");
	return 0;
}

const char *story_detect_reason(const struct cell_result *c)
{
	size_t n = c->history ? history_len(c->history) : 0;
	bool fault = false;

	for (size_t k = 0; k < n; k++) {
		json_t *e = history_at(c->history, k);
		const char *role = story_str(e, "role"), *ev = story_str(e, "ev");

		if (!role || !ev)
			continue;
		if (strcmp(role, "acklab") == 0 && strcmp(ev, "fault") == 0)
			fault = true;
		else if (fault && strcmp(role, "client") == 0 && strcmp(ev, "disconnected") == 0)
			return story_str(e, "reason") ? story_str(e, "reason") : "";
	}
	return NULL;
}

static int common_start(const char *a, const char *b)
{
	int n = 0;

	while (a[n] && a[n] == b[n])
		n++;
	return n;
}

const struct cell_result *story_contrast_cell(const struct cell_result *bug, const char *id,
					      const struct cell_result *cells, int n)
{
	const struct cell_result *best = NULL;
	int best_score = -1;

	for (int i = 0; i < n; i++) {
		const struct cell_result *c = &cells[i];
		bool ok = false, retried = false;
		int score;

		if (c == bug || strcmp(c->scenario, bug->scenario) != 0 || strcmp(c->stack, bug->stack) == 0 ||
		    !cell_met(c) || !c->history || c->history_events_only)
			continue;
		for (int j = 0; j < c->chk.nmsgs; j++)
			if (strcmp(c->chk.msgs[j].id, id) == 0 && c->chk.msgs[j].cls == CHK_OK) {
				ok = true;
				retried = c->chk.msgs[j].attempts > 1;
			}
		/* One that went through the fault and retried teaches more than one that never noticed. */
		score = common_start(c->stack, bug->stack) + (retried ? 50 : 0);
		if (ok && score > best_score) {
			best = c;
			best_score = score;
		}
	}
	return best;
}
