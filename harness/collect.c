/*
 * collect: cells from run folders, checked, in the matrix's order, and the
 * reporters over them (collect.h).
 */
#include "collect.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "outdir.h"
#include "report.h"
#include "sandbox.h"
#include "util.h"

static int collect_names(const char *dir, char ***out, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	int n = 0;

	*out = NULL;
	if (!d)
		return err_set(err, errlen, "cannot read %s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		char **nv;

		if (e->d_name[0] == '.' || e->d_type != DT_DIR)
			continue;
		nv = realloc(v, (size_t)(n + 2) * sizeof *v);
		if (!nv || !(nv[n] = strdup(e->d_name))) {
			free(nv ? nv : v);
			closedir(d);
			return err_set(err, errlen, "out of memory");
		}
		v = nv;
		v[++n] = NULL;
	}
	closedir(d);
	*out = v;
	return n;
}

static void collect_free_names(char **v)
{
	for (int i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int collect_add(struct collection *c, struct cell_result *r, char *err, size_t errlen)
{
	for (int i = 0; i < c->n; i++) {
		struct cell_result *have = &c->cells[i];
		bool have_ran = have->status != CELL_NOT_RUN;
		bool new_ran = r->status != CELL_NOT_RUN;

		if (strcmp(have->scenario, r->scenario) != 0 || strcmp(have->stack, r->stack) != 0)
			continue;
		if (have_ran && new_ran) {
			err_set(err, errlen, "cell %s × %s is in two run folders (%s and %s); give each "
				"cell once (are two shards the same shard?)", r->scenario, r->stack, have->dir,
				r->dir);
			cell_result_release(r);
			return -1;
		}
		if (new_ran) {
			cell_result_release(have);
			*have = *r;
		} else {
			cell_result_release(r);
		}
		return 0;
	}
	if (c->n == c->cap) {
		int cap = c->cap ? c->cap * 2 : 32;
		struct cell_result *v = realloc(c->cells, (size_t)cap * sizeof *v);

		if (!v) {
			cell_result_release(r);
			return err_set(err, errlen, "out of memory");
		}
		c->cells = v;
		c->cap = cap;
	}
	c->cells[c->n++] = *r;
	return 0;
}

static int collect_cmp(const void *a, const void *b)
{
	const struct cell_result *x = a, *y = b;
	int d;

	if (x->scenario_order != y->scenario_order)
		return x->scenario_order < y->scenario_order ? -1 : 1;
	if ((d = strcmp(x->scenario, y->scenario)))
		return d;
	if (x->stack_order != y->stack_order)
		return x->stack_order < y->stack_order ? -1 : 1;
	return strcmp(x->stack, y->stack);
}

int collect_run_dir(struct collection *c, const char *run_dir, const char *prefix, char *err,
		    size_t errlen)
{
	char **scenarios = NULL;
	int added = 0, n;
	struct stat st;

	if (stat(run_dir, &st) == -1 || !S_ISDIR(st.st_mode))
		return err_set(err, errlen, "%s: %s", run_dir,
			       errno == ENOENT || !S_ISDIR(st.st_mode) ? "no such run folder" : strerror(errno));
	n = collect_names(run_dir, &scenarios, err, errlen);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		char sdir[PATH_MAX], **stacks = NULL;
		int m;

		snprintf(sdir, sizeof sdir, "%s/%s", run_dir, scenarios[i]);
		m = collect_names(sdir, &stacks, err, errlen);
		if (m < 0)
			goto err;
		for (int k = 0; k < m; k++) {
			char cell[PATH_MAX], plan[PATH_MAX + 16];
			struct cell_result r;

			snprintf(cell, sizeof cell, "%s%s%s/%s", prefix, prefix[0] ? "/" : "", scenarios[i],
				 stacks[k]);
			snprintf(plan, sizeof plan, "%s/%s/plan.json", sdir, stacks[k]);
			if (access(plan, F_OK) == -1)
				continue;     /* not a cell: a folder of the user's */
			if (check_cell_dir(prefix[0] ? NULL : run_dir, cell, &r, err, errlen) == -1 ||
			    collect_add(c, &r, err, errlen) == -1) {
				collect_free_names(stacks);
				goto err;
			}
			added++;
		}
		collect_free_names(stacks);
	}
	collect_free_names(scenarios);
	if (c->n > 1)
		qsort(c->cells, (size_t)c->n, sizeof *c->cells, collect_cmp);
	return added;
err:
	collect_free_names(scenarios);
	return -1;
}

void collect_free(struct collection *c)
{
	for (int i = 0; i < c->n; i++)
		cell_result_release(&c->cells[i]);
	free(c->cells);
	c->cells = NULL;
	c->n = c->cap = 0;
}

static int collect_append_file(const char *from, const char *to, char *err, size_t errlen)
{
	FILE *in = fopen(from, "re"), *out;
	char buf[65536];
	size_t n;
	int rc = 0;

	if (!in)
		return err_set(err, errlen, "cannot read %s: %s", from, strerror(errno));
	out = fopen(to, "ae");
	if (!out) {
		fclose(in);
		return err_set(err, errlen, "--summary %s: %s", to, strerror(errno));
	}
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			break;
	if (ferror(in) || ferror(out))
		rc = err_set(err, errlen, "--summary %s: %s", to, strerror(errno));
	if (fclose(out) != 0 && rc == 0)
		rc = err_set(err, errlen, "--summary %s: %s", to, strerror(errno));
	fclose(in);
	return rc;
}

int collect_report(const struct collection *c, const struct outdir *out, double duration_ms,
		   const char *summary_file, char *err, size_t errlen)
{
	struct run_info info;
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;
	int rc = 0;

	memset(&info, 0, sizeof info);
	str_copy(info.dir, out->path, sizeof info.dir);
	info.out = out;
	gmtime_r(&now, &tm);
	strftime(info.started, sizeof info.started, "%Y-%m-%dT%H:%M:%SZ", &tm);
	info.ncells = c->n;
	info.duration_ms = duration_ms;
	info.rootless = sandbox_outer_uid() != 0;
	if (uname(&u) == 0)
		snprintf(info.kernel, sizeof info.kernel, "%s %s", u.release, u.version);
	for (int k = 0; report_table[k]; k++) {
		const struct reporter_ops *ops = report_table[k];
		void *state = NULL;
		char e[512];

		if (ops->begin(&state, &info, e, sizeof e) == -1) {
			rc = err_set(err, errlen, "%s", e);
			continue;
		}
		for (int i = 0; i < c->n; i++)
			if (ops->cell(state, &c->cells[i], e, sizeof e) == -1 && rc == 0)
				rc = err_set(err, errlen, "%s", e);
		if (ops->end(state, &info, c->cells, c->n, e, sizeof e) == -1 && rc == 0)
			rc = err_set(err, errlen, "%s", e);
	}
	if (rc == 0 && summary_file) {
		char path[PATH_MAX + 16];

		snprintf(path, sizeof path, "%s/summary.md", out->path);
		rc = collect_append_file(path, summary_file, err, errlen);
	}
	return rc;
}

int collect_exit_status(const struct collection *c)
{
	int ran = 0, bad = 0;

	for (int i = 0; i < c->n; i++) {
		if (c->cells[i].status == CELL_NA)
			continue;
		if (c->cells[i].status != CELL_NOT_RUN)
			ran++;
		if (!cell_met(&c->cells[i]))
			bad++;
	}
	if (ran == 0)
		return 4;
	return bad ? 1 : 0;
}

void collect_print_tally(FILE *out, const struct collection *c)
{
	int met = 0, na = 0, not_run = 0;

	for (int i = 0; i < c->n; i++) {
		met += cell_met(&c->cells[i]);
		na += c->cells[i].status == CELL_NA;
		not_run += c->cells[i].status == CELL_NOT_RUN;
	}
	fprintf(out, "%d of %d cells met their expectation", met, c->n - na);
	if (na)
		fprintf(out, "; %d n/a (the stack cannot do what the scenario needs; see summary.md)", na);
	if (not_run)
		fprintf(out, "; %d not run", not_run);
	fputc('\n', out);
}
