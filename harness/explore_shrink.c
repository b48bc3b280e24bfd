/*
 * explore_shrink: acklab shrink PLAN — the smallest scenario that still
 * fails the way PLAN failed (explore.h).
 *
 * The plan's scenario is a list of steps (sends, waits, faults, heals,
 * awaits). The shrinker reruns smaller lists and keeps each change while
 * the cell still fails with one of the classes it first failed with (a DUP
 * that becomes a LOST is another bug, not this one). In order, each pass
 * repeated while it finds something:
 *
 *   faults    drop one fault with its heal (a crash with its restart)
 *   messages  first every message but those the failure showed on (a DUP
 *             names its message), then delta debugging (Zeller's ddmin)
 *             over the sends: drop halves, then quarters, ... then singles
 *   clients   hand every message of clientK to client, so fewer processes
 *   waits     drop the waits, all at once and then one by one: faults move
 *             earlier and the scenario gets shorter (a wait just before a
 *             heal is the fault's duration, and stays)
 *
 * Every rerun is --copies cells side by side, each run in a worker
 * (explore_cell.c) from a plan made with the failing plan's seed and nonce,
 * so the texts, tokens and the roles' random choices stay the same; a cut
 * is kept only when every copy fails, so what is left fails reliably even
 * where the original failed now and then (the plan itself may need a few
 * tries to fail at all). Reruns are bounded (--max-runs) and
 * each is a progress line. The result is written as a .scn file that reads
 * as if written by hand: the exact messages and faults left.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checker_class.h"
#include "cli.h"
#include "explore.h"
#include "log.h"
#include "outdir.h"
#include "stack.h"
#include "util.h"

struct steps {
	struct scn_step *v;
	int n;
};

/* Reruns of the failing plan itself before giving up on it (not counted in --max-runs). */
#define SHRINK_FIRST_TRIES 5
#define SHRINK_MAX_CULPRITS 16
/* Cuts that can be taken back when the result does not fail every time once more. */
#define SHRINK_UNDO 4

struct shrink {
	const struct shrink_opts *o;
	struct plan *plan;            /* the failing plan */
	const char *text;             /* its scenario's text (borrowed from plan->doc) */
	struct stack *st;             /* its stack, parsed from a file holding the plan's text */
	unsigned target;              /* the classes it failed with (bit per class) */
	int runs, max_runs;           /* reruns so far, and the bound (o->max_runs) */
	char name[SCN_NAME_MAX + 8];
	char last_reason[512];
	char culprits[SHRINK_MAX_CULPRITS][SCN_ID_MAX];   /* the messages a failing run showed the bug on */
	int nculprits;
	struct steps before[SHRINK_UNDO];   /* the states before the latest cuts, newest first (owned) */
};

/* Write text as path (created 0600 or truncated). 0, or -1 with err. */
static int shrink_write_file(const char *path, const char *text, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t len = strlen(text), off = 0;

	if (fd == -1)
		return err_set(err, errlen, "%s: %s", path, strerror(errno));
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n <= 0 && errno != EINTR) {
			close(fd);
			return err_set(err, errlen, "%s: %s", path, strerror(errno));
		}
		off += n > 0 ? (size_t)n : 0;
	}
	if (close(fd) == -1)
		return err_set(err, errlen, "%s: %s", path, strerror(errno));
	return 0;
}

static int steps_count(const struct steps *s, enum scn_step_kind kind)
{
	int n = 0;

	for (int i = 0; i < s->n; i++)
		n += s->v[i].kind == kind;
	return n;
}

/* Classes that make r fail its expectation: in r, and not allowed by the expect line. */
static unsigned shrink_violations(const struct cell_result *r, const struct scn_expect *exp)
{
	unsigned bits = 0;

	for (int c = 0; c < CHK_CLASS_COUNT; c++) {
		const struct scn_class_expect *ce = exp ? &exp->cls[c] : NULL;

		if (c == CHK_OK || r->chk.counts[c] == 0)
			continue;
		if (!ce || !ce->named || (ce->at_most ? r->chk.counts[c] > ce->count : r->chk.counts[c] != ce->count))
			bits |= 1u << c;
	}
	return bits;
}

/* The stack of the plan as a file: the one it names when it still holds the same text, else a copy. */
static int shrink_stack(struct shrink *k, char *err, size_t errlen)
{
	const char *text = json_string_value(json_object_get(json_object_get(k->plan->doc, "stack"), "text"));
	char *now = file_read_text(k->plan->st->path, 1 << 20, NULL, 0);
	char path[PATH_MAX];
	int rc;

	if (now && text && strcmp(now, text) == 0) {
		free(now);
		return stack_parse_file(k->plan->st->path, &k->st, err, errlen);
	}
	free(now);
	snprintf(path, sizeof path, "%s/%s.stack", k->o->work_dir, k->plan->st->name);
	if (!text || shrink_write_file(path, text, err, errlen) == -1)
		return text ? -1 : err_set(err, errlen, "%s: the plan holds no stack text", k->o->plan_path);
	rc = stack_parse_file(path, &k->st, err, errlen);
	return rc;
}

/*
 * Run copies of plan p side by side in dir. Returns how many failed as the
 * plan did (with one of k->target's classes; when k->target is 0, with any
 * class, which then becomes the target), or -1 when they could not run.
 * The reason of a failing one goes to k->last_reason; an error to why.
 */
static int shrink_run_plan(struct shrink *k, struct plan *p, const char *dir, int copies, char *why, size_t whylen)
{
	struct cell_result r[EXPLORE_MAX_COPIES];
	int failed = 0;

	why[0] = '\0';
	if (explore_cell_run(p, dir, copies, &k->o->run, r, why, whylen) == -1)
		return -1;
	for (int i = 0; i < copies; i++) {
		unsigned bits = r[i].status == CELL_UNMET ?
			shrink_violations(&r[i], scenario_expect_for(p->s, p->st->name, true)) : 0;

		if (!k->target)
			k->target = bits;
		if (bits & k->target) {
			failed++;
			str_copy(k->last_reason, r[i].chk.reason, sizeof k->last_reason);
			k->nculprits = 0;
			for (int m = 0; m < r[i].chk.nmsgs && k->nculprits < SHRINK_MAX_CULPRITS; m++)
				if (k->target & (1u << r[i].chk.msgs[m].cls))
					str_copy(k->culprits[k->nculprits++], r[i].chk.msgs[m].id, SCN_ID_MAX);
		} else if (r[i].status == CELL_ERROR && !why[0]) {
			str_copy(why, r[i].error, whylen);
		}
		cell_result_release(&r[i]);
	}
	return failed;
}

/*
 * Run steps as a scenario (o->copies cells side by side). Returns 1 when
 * every copy fails as the plan did, 0 when not, -1 when it could not run.
 */
static int shrink_try(struct shrink *k, const struct steps *cand, const char *what)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], err[1024], note[128];
	struct scenario *s = NULL;
	struct plan *p = NULL;
	char *text = NULL;
	int failed;

	if (k->runs >= k->max_runs || (k->o->run.stop && *k->o->run.stop))
		return 0;
	k->runs++;
	snprintf(dir, sizeof dir, "%s/r%d", k->o->work_dir, k->runs);
	snprintf(path, sizeof path, "%s/%s.scn", dir, k->name);
	snprintf(note, sizeof note, "Shrink attempt %d.", k->runs);
	if (outdir_make_parents(dir, err, sizeof err) == -1 || mkdir(dir, 0700) == -1 ||
	    !(text = explore_render(k->plan->s, k->text, cand->v, cand->n, note, k->name, false, err, sizeof err)) ||
	    shrink_write_file(path, text, err, sizeof err) == -1) {
		printf("shrink: run %d/%d: %s: cannot write it: %s\n", k->runs, k->max_runs, what, err);
		free(text);
		return -1;
	}
	free(text);
	if (scenario_parse_file(path, &s, err, sizeof err) == -1) {
		/* A cut that leaves a reference dangling (a rule on a message now gone) is not a scenario. */
		printf("shrink: run %d/%d: %s: not a scenario (%s)\n", k->runs, k->max_runs, what, err);
		return 0;
	}
	if (plan_make(s, k->st, k->plan->nonce, k->plan->seed, &p, err, sizeof err) == -1 ||
	    (failed = shrink_run_plan(k, p, dir, k->o->copies, err, sizeof err)) == -1) {
		printf("shrink: run %d/%d: %s: %s\n", k->runs, k->max_runs, what, err);
		scenario_free(s);
		plan_free(p);
		return -1;
	}
	/* Kept only when every copy fails: a cut that fails now and then would make the result flaky. */
	if (k->max_runs == k->o->max_runs)
		printf("shrink: run %d/%d: ", k->runs, k->max_runs);
	else
		printf("shrink: ");
	printf("%-44s %s\n", what,
	       failed == k->o->copies ? "still fails: kept" : failed ? "fails now and then: undone" :
	       err[0] ? "error: undone" : "passes: undone");
	if (!failed && err[0] && k->o->run.verbose)
		printf("        %s\n", err);
	fflush(stdout);
	scenario_free(s);
	plan_free(p);
	return failed == k->o->copies;
}

/* cand = cur without the steps where drop[i]; awaits of messages no longer sent go too. */
static int shrink_without(const struct steps *cur, const bool *drop, struct steps *cand)
{
	cand->v = calloc((size_t)cur->n + 1, sizeof *cand->v);
	cand->n = 0;
	if (!cand->v)
		return -1;
	for (int i = 0; i < cur->n; i++) {
		const struct scn_step *st = &cur->v[i];
		bool gone = drop[i];

		if (!gone && st->kind == SCN_AWAIT && st->msg_id[0]) {
			gone = true;
			for (int j = 0; j < cur->n && gone; j++)
				gone = !(cur->v[j].kind == SCN_SEND && !drop[j] &&
					 strcmp(cur->v[j].msg_id, st->msg_id) == 0);
		}
		if (gone)
			continue;
		/* Waits left side by side are one wait; a wait after the last step waits for nothing. */
		if (st->kind == SCN_WAIT && cand->n && cand->v[cand->n - 1].kind == SCN_WAIT) {
			cand->v[cand->n - 1].ms += st->ms;
			continue;
		}
		cand->v[cand->n++] = *st;
	}
	while (cand->n && cand->v[cand->n - 1].kind == SCN_WAIT)
		cand->n--;
	return 0;
}

/* cur becomes cand; what it was is kept for a step back (the oldest kept state goes). */
static void shrink_accept(struct shrink *k, struct steps *cur, struct steps cand)
{
	free(k->before[SHRINK_UNDO - 1].v);
	memmove(&k->before[1], &k->before[0], (SHRINK_UNDO - 1) * sizeof k->before[0]);
	k->before[0] = *cur;
	*cur = cand;
}

/* Take the latest cut back; false when none is kept. */
static bool shrink_undo(struct shrink *k, struct steps *cur)
{
	if (!k->before[0].v)
		return false;
	free(cur->v);
	*cur = k->before[0];
	memmove(&k->before[0], &k->before[1], (SHRINK_UNDO - 1) * sizeof k->before[0]);
	memset(&k->before[SHRINK_UNDO - 1], 0, sizeof k->before[0]);
	return true;
}

/* Try cur without drop; on success cur becomes it. 1 kept, 0 not, -1 error. */
static int shrink_attempt(struct shrink *k, struct steps *cur, const bool *drop, const char *what)
{
	struct steps cand;
	int rc;

	if (shrink_without(cur, drop, &cand) == -1)
		return -1;
	rc = shrink_try(k, &cand, what);
	if (rc == 1) {
		shrink_accept(k, cur, cand);
	} else {
		free(cand.v);
	}
	return rc;
}

/* The step that ends the fault at i: its heal (by name, or a bare heal), or a crash's restart; -1 if none. */
static int shrink_heal_of(const struct steps *cur, int i)
{
	const struct scn_fault *f = &cur->v[i].fault;

	for (int j = i + 1; j < cur->n; j++) {
		const struct scn_step *h = &cur->v[j];

		if (h->kind == SCN_HEAL && (!h->fault.name[0] || strcmp(h->fault.name, f->name) == 0))
			return j;
		if (strcmp(f->name, "crash") == 0 && h->kind == SCN_FAULT &&
		    strcmp(h->fault.name, "restart") == 0 && h->fault.nargs && f->nargs &&
		    strcmp(h->fault.args[0], f->args[0]) == 0)
			return j;
	}
	return -1;
}

/* The first cut of the faults: all but the last one applied before the first message. */
static bool shrink_only_last_fault(struct shrink *k, struct steps *cur)
{
	int first_send = -1, keep = -1, nfaults = 0, h;
	bool *drop, kept;

	for (int i = 0; i < cur->n && first_send < 0; i++)
		if (cur->v[i].kind == SCN_SEND)
			first_send = i;
	for (int i = 0; i < cur->n; i++)
		if (cur->v[i].kind == SCN_FAULT && strcmp(cur->v[i].fault.name, "restart") != 0) {
			nfaults++;
			if (i < first_send)
				keep = i;
		}
	if (keep < 0 || nfaults < 2 || !(drop = calloc((size_t)cur->n + 1, sizeof *drop)))
		return false;
	for (int i = 0; i < cur->n; i++)
		if (i != keep && cur->v[i].kind == SCN_FAULT && strcmp(cur->v[i].fault.name, "restart") != 0) {
			drop[i] = true;
			if ((h = shrink_heal_of(cur, i)) >= 0 && h != shrink_heal_of(cur, keep))
				drop[h] = true;
		}
	kept = shrink_attempt(k, cur, drop, "only the last fault before the first message") == 1;
	free(drop);
	return kept;
}

static bool shrink_pass_faults(struct shrink *k, struct steps *cur)
{
	bool changed = shrink_only_last_fault(k, cur);

	for (int i = cur->n - 1; i >= 0; i--) {
		bool *drop;
		char what[96];
		int h;

		if (i >= cur->n || cur->v[i].kind != SCN_FAULT || strcmp(cur->v[i].fault.name, "restart") == 0)
			continue;
		if (!(drop = calloc((size_t)cur->n + 1, sizeof *drop)))
			return changed;
		drop[i] = true;
		if ((h = shrink_heal_of(cur, i)) >= 0)
			drop[h] = true;
		snprintf(what, sizeof what, "without fault %s (line %d)", cur->v[i].fault.name, i + 1);
		if (shrink_attempt(k, cur, drop, what) == 1)
			changed = true;
		free(drop);
	}
	return changed;
}

/* The first cut to try: every message but those the bug showed on. */
static bool shrink_only_culprits(struct shrink *k, struct steps *cur)
{
	bool *drop, any = false;
	char what[96] = "only", ids[64] = "";
	int n = 0;

	if (k->nculprits == 0 || !(drop = calloc((size_t)cur->n + 1, sizeof *drop)))
		return false;
	for (int i = 0; i < cur->n; i++) {
		bool culprit = false;

		if (cur->v[i].kind != SCN_SEND)
			continue;
		for (int c = 0; c < k->nculprits; c++)
			culprit = culprit || strcmp(k->culprits[c], cur->v[i].msg_id) == 0;
		drop[i] = !culprit;
		any = any || drop[i];
		if (culprit && n++ < 3)
			snprintf(ids + strlen(ids), sizeof ids - strlen(ids), " %s", cur->v[i].msg_id);
	}
	snprintf(what, sizeof what, "only the messages it failed on:%s%s", ids, n > 3 ? " ..." : "");
	any = any && n > 0 && shrink_attempt(k, cur, drop, what) == 1;
	free(drop);
	return any;
}

/* ddmin over the sends: remove chunks of n-ths while the failure stays. */
static bool shrink_pass_messages(struct shrink *k, struct steps *cur)
{
	bool changed = shrink_only_culprits(k, cur);
	int chunks = 2;

	for (;;) {
		int nsend = steps_count(cur, SCN_SEND), size, removed = 0;

		if (nsend < 2 || k->runs >= k->max_runs)
			break;
		if (chunks > nsend)
			chunks = nsend;
		size = (nsend + chunks - 1) / chunks;
		for (int c = 0; c < chunks && !removed; c++) {
			bool *drop = calloc((size_t)cur->n + 1, sizeof *drop);
			char what[96], first[SCN_ID_MAX] = "", last[SCN_ID_MAX] = "";
			int seen = 0, n = 0;

			if (!drop)
				return changed;
			for (int i = 0; i < cur->n; i++)
				if (cur->v[i].kind == SCN_SEND) {
					if (seen >= c * size && seen < (c + 1) * size) {
						drop[i] = true;
						if (!n++)
							str_copy(first, cur->v[i].msg_id, sizeof first);
						str_copy(last, cur->v[i].msg_id, sizeof last);
					}
					seen++;
				}
			if (n == 0 || n == nsend) {
				free(drop);
				continue;
			}
			if (n == 1)
				snprintf(what, sizeof what, "without %s", first);
			else
				snprintf(what, sizeof what, "without %s..%s (%d messages)", first, last, n);
			if (shrink_attempt(k, cur, drop, what) == 1)
				removed = 1;
			free(drop);
		}
		if (removed) {
			changed = true;
			chunks = chunks > 2 ? chunks - 1 : 2;
		} else if (chunks >= nsend) {
			break;
		} else {
			chunks = chunks * 2 > nsend ? nsend : chunks * 2;
		}
	}
	return changed;
}

static bool shrink_pass_clients(struct shrink *k, struct steps *cur)
{
	bool changed = false;

	for (int c = SCN_MAX_CLIENTS; c >= 2; c--) {
		char role[32], what[64];
		struct steps cand;
		bool any = false;

		scn_client_role(c, role, sizeof role);
		for (int i = 0; i < cur->n; i++)
			any = any || (cur->v[i].kind == SCN_SEND && strcmp(cur->v[i].role, role) == 0);
		if (!any || !(cand.v = malloc(((size_t)cur->n + 1) * sizeof *cand.v)))
			continue;
		memcpy(cand.v, cur->v, (size_t)cur->n * sizeof *cand.v);
		cand.n = cur->n;
		for (int i = 0; i < cand.n; i++)
			if (cand.v[i].kind == SCN_SEND && strcmp(cand.v[i].role, role) == 0)
				cand.v[i].role[0] = '\0';
		snprintf(what, sizeof what, "%s's messages sent by client", role);
		if (shrink_try(k, &cand, what) == 1) {
			shrink_accept(k, cur, cand);
			changed = true;
		} else {
			free(cand.v);
		}
	}
	return changed;
}

/* Does the wait at i hold a fault open (a heal, or a crash's restart, follows it)? Those stay. */
static bool shrink_wait_holds_fault(const struct steps *cur, int i)
{
	const struct scn_step *next = i + 1 < cur->n ? &cur->v[i + 1] : NULL;

	return next && (next->kind == SCN_HEAL ||
			(next->kind == SCN_FAULT && strcmp(next->fault.name, "restart") == 0));
}

/* Waits before faults and between messages go (faults come earlier); a fault's own duration stays. */
static bool shrink_pass_waits(struct shrink *k, struct steps *cur)
{
	bool changed = false, *drop;
	int nwait = 0;

	for (int i = 0; i < cur->n; i++)
		nwait += cur->v[i].kind == SCN_WAIT && !shrink_wait_holds_fault(cur, i);
	if (nwait == 0 || !(drop = calloc((size_t)cur->n + 1, sizeof *drop)))
		return false;
	for (int i = 0; i < cur->n; i++)
		drop[i] = cur->v[i].kind == SCN_WAIT && !shrink_wait_holds_fault(cur, i);
	if (nwait > 1 && shrink_attempt(k, cur, drop, "without the waits (faults earlier)") == 1) {
		free(drop);
		return true;
	}
	free(drop);
	for (int i = cur->n - 1; i >= 0; i--) {
		char what[64];

		if (i >= cur->n || cur->v[i].kind != SCN_WAIT || shrink_wait_holds_fault(cur, i) ||
		    !(drop = calloc((size_t)cur->n + 1, sizeof *drop)))
			continue;
		drop[i] = true;
		snprintf(what, sizeof what, "without wait %dms (step %d)", cur->v[i].ms, i + 1);
		if (shrink_attempt(k, cur, drop, what) == 1)
			changed = true;
		free(drop);
	}
	return changed;
}

/* Is st one of the stacks folder's own (so `--stack NAME`, not its path)? */
static bool shrink_stack_installed(const struct stack *st, const char *stacks_dir)
{
	char a[PATH_MAX], b[PATH_MAX], *slash;

	if (!stacks_dir || !realpath(st->path, a) || !realpath(stacks_dir, b) || !(slash = strrchr(a, '/')))
		return false;
	*slash = '\0';
	return strcmp(a, b) == 0;
}

static int shrink_write(struct shrink *k, const struct steps *cur, const char *out_file)
{
	char note[1024], err[512], *text;
	int nfault = 0;

	for (int i = 0; i < cur->n; i++)
		nfault += cur->v[i].kind == SCN_FAULT && strcmp(cur->v[i].fault.name, "restart") != 0;
	snprintf(note, sizeof note,
		 "Shrunk by acklab shrink from %s (seed %lu) in %d reruns: %d message%s, %d fault%s left.\n"
		 "It fails as the plan did: %s", k->o->plan_path, k->plan->seed, k->runs, steps_count(cur, SCN_SEND),
		 steps_count(cur, SCN_SEND) == 1 ? "" : "s", nfault, nfault == 1 ? "" : "s", k->last_reason);
	text = explore_render(k->plan->s, k->text, cur->v, cur->n, note, k->name, false, err, sizeof err);
	if (!text || shrink_write_file(out_file, text, err, sizeof err) == -1) {
		log_warnx("shrink: %s: %s", out_file, err);
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

int explore_shrink(const struct shrink_opts *o)
{
	struct shrink k = { .o = o, .max_runs = o->max_runs };
	struct steps cur = { 0 };
	char err[1024], out_file[PATH_MAX], first[PATH_MAX];
	int rc = EXIT_USAGE, msgs0, faults0, cuts;

	if (plan_load(o->plan_path, &k.plan, err, sizeof err) == -1) {
		log_warnx("shrink: %s", err);
		return EXIT_USAGE;
	}
	k.text = json_string_value(json_object_get(json_object_get(k.plan->doc, "scenario"), "text"));
	snprintf(k.name, sizeof k.name, "%.48s-min", k.plan->s->name);
	if (o->out_file)
		str_copy(out_file, o->out_file, sizeof out_file);
	else
		snprintf(out_file, sizeof out_file, "%s/%s.scn", o->work_dir, k.name);
	if (!k.text || outdir_make_parents(o->work_dir, err, sizeof err) == -1 || shrink_stack(&k, err, sizeof err) == -1) {
		log_warnx("shrink: %s", k.text ? err : "the plan holds no scenario text");
		goto done;
	}
	/*
	 * The plan itself first: it must fail here, and how it fails is what every
	 * cut must keep. A failure that depends on a race may need a few tries.
	 */
	for (int t = 1; t <= SHRINK_FIRST_TRIES && !k.target && !(o->run.stop && *o->run.stop); t++) {
		int failed;

		snprintf(first, sizeof first, "%s/r0-%d", o->work_dir, t);
		if (mkdir(first, 0700) == -1 && errno != EEXIST) {
			log_warnx("shrink: %s: %s", first, strerror(errno));
			goto done;
		}
		if ((failed = shrink_run_plan(&k, k.plan, first, o->copies, err, sizeof err)) == -1) {
			log_warnx("shrink: %s", err);
			goto done;
		}
		printf("shrink: run 0.%d: the plan as it is, %d side by side: %s\n", t, o->copies,
		       failed ? k.last_reason : err[0] ? err : "it meets its expectation this time");
	}
	if (!k.target) {
		log_warnx("shrink: %s did not fail in %d runs here (explore more seeds)", o->plan_path,
			  SHRINK_FIRST_TRIES * o->copies);
		rc = EXIT_FAIL;
		goto done;
	}
	cur.n = k.plan->s->nsteps;
	if (!(cur.v = malloc(((size_t)cur.n + 1) * sizeof *cur.v)))
		goto done;
	memcpy(cur.v, k.plan->s->steps, (size_t)cur.n * sizeof *cur.v);
	{
		struct steps norm;
		bool *keep_all = calloc((size_t)cur.n + 1, sizeof *keep_all);

		if (!keep_all || shrink_without(&cur, keep_all, &norm) == -1) {
			free(keep_all);
			goto done;
		}
		free(keep_all);
		free(cur.v);
		cur = norm;
	}
	msgs0 = steps_count(&cur, SCN_SEND);
	faults0 = steps_count(&cur, SCN_FAULT);
	for (bool changed = true; changed && k.runs < o->max_runs && !(o->run.stop && *o->run.stop);) {
		changed = shrink_pass_messages(&k, &cur);
		changed = shrink_pass_faults(&k, &cur) || changed;
		changed = shrink_pass_clients(&k, &cur) || changed;
		changed = shrink_pass_waits(&k, &cur) || changed;
	}
	/*
	 * Once more: a cut kept by a lucky pair of runs would make the result
	 * flaky. While it does not fail every time, the latest cuts are taken
	 * back, one at a time (at most SHRINK_UNDO + 1 extra runs, said apart).
	 */
	cuts = k.runs;
	for (int back = 0; back <= SHRINK_UNDO && !(o->run.stop && *o->run.stop); back++) {
		bool ok;

		k.max_runs = k.runs + 1;
		ok = shrink_try(&k, &cur, back ? "confirm, one cut back" : "confirm the result") == 1;
		if (ok) {
			printf("shrink: the result fails every time\n");
			break;
		}
		if (back == SHRINK_UNDO || !shrink_undo(&k, &cur)) {
			printf("shrink: the result does not fail every time (a race in the system under test?)\n");
			break;
		}
	}
	if (shrink_write(&k, &cur, out_file) == -1)
		goto done;
	printf("shrink: %d messages and %d fault steps -> %d and %d, in %d reruns (at most %d) and %d to "
	       "confirm; wrote %s\n", msgs0, faults0, steps_count(&cur, SCN_SEND), steps_count(&cur, SCN_FAULT), cuts,
	       o->max_runs, k.runs - cuts, out_file);
	printf("  run it: acklab run %s --stack %s\n", out_file,
	       shrink_stack_installed(k.st, o->stacks_dir) ? k.st->name : k.st->path);
	rc = o->run.stop && *o->run.stop ? 130 : EXIT_PASS;
done:
	free(cur.v);
	for (int i = 0; i < SHRINK_UNDO; i++)
		free(k.before[i].v);
	stack_free(k.st);
	plan_free(k.plan);
	return rc;
}
