/*
 * history: one run's observations as a jansson array of JSON objects, kept
 * sorted by "t" (CLOCK_MONOTONIC ns) at every insertion.
 *
 * Events arrive almost in order (each role's stream is in order; streams
 * interleave with small skew), so insertion walks back from the end to the
 * last entry whose "t" is <= the new one and inserts after it: cheap in the
 * usual case, and stable, so entries with equal times keep their arrival
 * order. A role's line is parsed as a JSON object; anything else (plain text,
 * arrays, invalid JSON) is kept as {"ev":"text","text":line} so nothing a
 * role says is lost. "role" is always set to who said it. The role's own "t"
 * is trusted when it is an integer; otherwise the time acklab read the line
 * is used. On disk a history is JSON lines, each starting with "t" and
 * "t_ms" (milliseconds since the run's t0, three decimals, for people).
 */
#include "history.h"

#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct history {
	json_t *entries;   /* array of objects, sorted by "t" */
};

struct history *history_new(void)
{
	struct history *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->entries = json_array();
	if (!h->entries) {
		free(h);
		return NULL;
	}
	return h;
}

void history_free(struct history *h)
{
	if (!h)
		return;
	json_decref(h->entries);
	free(h);
}

static int64_t history_entry_t(json_t *e)
{
	return (int64_t)json_integer_value(json_object_get(e, "t"));
}

/* Insert obj (stolen) after the last entry with t <= its t. Returns obj borrowed, or NULL. */
static json_t *history_insert(struct history *h, json_t *obj)
{
	int64_t t = history_entry_t(obj);
	size_t i = json_array_size(h->entries);

	while (i > 0 && history_entry_t(json_array_get(h->entries, i - 1)) > t)
		i--;
	if (json_array_insert_new(h->entries, i, obj) != 0)
		return NULL;
	return obj;
}

json_t *history_add_store_line(struct history *h, const char *line, int64_t t_read_ns)
{
	json_error_t jerr;
	json_t *o = json_loads(line, 0, &jerr);

	if (!json_is_object(o)) {
		json_decref(o);
		return history_add_line(h, "store", line, t_read_ns);
	}
	if (!json_object_get(o, "ev"))
		json_object_set_new(o, "ev", json_string("stored"));
	return history_add(h, "store", o, t_read_ns);
}

json_t *history_add(struct history *h, const char *role, json_t *obj, int64_t t_ns)
{
	if (!h || !obj)
		goto err;
	if (!json_is_object(obj))
		goto err;
	if (!json_object_get(obj, "role") &&
	    json_object_set_new(obj, "role", json_string(role ? role : "acklab")) != 0)
		goto err;
	if (!json_is_integer(json_object_get(obj, "t")) &&
	    json_object_set_new(obj, "t", json_integer(t_ns)) != 0)
		goto err;
	return history_insert(h, obj);
err:
	json_decref(obj);
	return NULL;
}

/* A JSON string for arbitrary bytes: invalid UTF-8 bytes become '?'. */
static json_t *history_text_string(const char *line)
{
	json_t *s = json_string(line);
	char *copy;

	if (s)
		return s;
	copy = strdup(line);
	if (!copy)
		return NULL;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	s = json_string(copy);
	free(copy);
	return s;
}

json_t *history_add_line(struct history *h, const char *role, const char *line, int64_t t_read_ns)
{
	json_t *obj = NULL;

	if (!h || !line)
		return NULL;
	obj = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
	if (obj && !json_is_object(obj)) {
		json_decref(obj);
		obj = NULL;
	}
	if (!obj) {
		obj = json_pack("{s:s, s:o*}", "ev", "text", "text", history_text_string(line));
		if (!obj)
			return NULL;
	}
	/* Whoever printed it is the role, whatever the line claims. */
	if (json_object_set_new(obj, "role", json_string(role ? role : "acklab")) != 0) {
		json_decref(obj);
		return NULL;
	}
	return history_add(h, role, obj, t_read_ns);
}

size_t history_len(const struct history *h)
{
	return h ? json_array_size(h->entries) : 0;
}

json_t *history_at(struct history *h, size_t i)
{
	return h ? json_array_get(h->entries, i) : NULL;
}

/*
 * One line: {"t":<ns>,"t_ms":<ms.3>,<the rest of the entry>}. jansson prints
 * reals with 17 significant digits, so "t_ms" is formatted here instead.
 */
static int history_write_entry(FILE *f, json_t *e, int64_t t0_ns)
{
	int64_t t = history_entry_t(e);
	json_t *rest = json_copy(e);
	char *body = NULL;
	int rc = -1;

	if (!rest)
		goto done;
	json_object_del(rest, "t");
	json_object_del(rest, "t_ms");
	body = json_dumps(rest, JSON_COMPACT);
	if (!body)
		goto done;
	/* body is "{}" or "{...}": splice our two keys in front of its contents. */
	if (fprintf(f, "{\"t\":%" PRId64 ",\"t_ms\":%.3f%s%s\n", t, (double)(t - t0_ns) / 1e6,
		    strcmp(body, "{}") ? "," : "", body + 1) < 0)
		goto done;
	rc = 0;
done:
	free(body);
	json_decref(rest);
	return rc;
}

int history_write_jsonl(struct history *h, const struct outdir *dir, const char *name, int64_t t0_ns,
			char *err, size_t errlen)
{
	FILE *f = NULL;
	size_t i;
	json_t *e;
	int fd, rc = -1;

	fd = outdir_open_file(dir, name, OUTDIR_TRUNCATE, err, errlen);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f) {
		err_set(err, errlen, "history: %s/%s: %s", dir->path, name, strerror(errno));
		close(fd);
		return -1;
	}
	json_array_foreach(h->entries, i, e) {
		if (history_write_entry(f, e, t0_ns) != 0) {
			err_set(err, errlen, "history: %s/%s: cannot write entry %zu: %s", dir->path, name, i,
				errno ? strerror(errno) : "out of memory");
			goto done;
		}
	}
	if (fflush(f) != 0) {
		err_set(err, errlen, "history: %s/%s: %s", dir->path, name, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (fclose(f) != 0 && rc == 0)
		rc = err_set(err, errlen, "history: %s/%s: %s", dir->path, name, strerror(errno));
	return rc;
}

/*
 * Is this line about one message (it names one by "id", "token" or
 * "text")? A fault's entries are never, whatever they carry. Keys only:
 * inside a JSON string a quote is escaped, so `"id":` cannot be in a value.
 */
static bool history_line_of_a_message(const char *line)
{
	if (strstr(line, "\"ev\":\"fault"))
		return false;
	return strstr(line, "\"id\":") || strstr(line, "\"token\":") || strstr(line, "\"text\":");
}

/* The lines of f, named name in errors; f stays open. Light: without the lines of a message. */
static struct history *history_load_stream(FILE *f, const char *name, bool light, char *err, size_t errlen)
{
	struct history *h = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	json_error_t jerr;

	h = history_new();
	if (!h) {
		err_set(err, errlen, "history: %s: out of memory", name);
		goto err;
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		json_t *obj;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || (light && history_line_of_a_message(line)))
			continue;
		obj = json_loads(line, 0, &jerr);
		if (!obj) {
			/* jansson says column 0 for an error at the first character; ours count from 1. */
			err_set(err, errlen, "history: %s:%ld:%d: %s", name, lineno,
				jerr.column > 0 ? jerr.column : 1, jerr.text);
			goto err;
		}
		if (!json_is_object(obj) || !json_is_integer(json_object_get(obj, "t"))) {
			json_decref(obj);
			err_set(err, errlen, "history: %s:%ld: not an entry (an object with an integer \"t\")",
				name, lineno);
			goto err;
		}
		/* t_ms is derived; it is written again from t on the next write. */
		json_object_del(obj, "t_ms");
		if (!history_add(h, json_string_value(json_object_get(obj, "role")), obj, 0)) {
			err_set(err, errlen, "history: %s:%ld: out of memory", name, lineno);
			goto err;
		}
	}
	if (ferror(f)) {
		err_set(err, errlen, "history: %s: read error: %s", name, strerror(errno));
		goto err;
	}
	free(line);
	return h;
err:
	free(line);
	history_free(h);
	return NULL;
}

/* The lines of the file at path (light: without the lines of a message). */
static struct history *history_load_path(const char *path, bool light, char *err, size_t errlen)
{
	struct history *h;
	FILE *f = fopen(path, "re");

	if (!f) {
		err_set(err, errlen, "history: cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	h = history_load_stream(f, path, light, err, errlen);
	fclose(f);
	return h;
}

struct history *history_load_jsonl(const char *path, char *err, size_t errlen)
{
	return history_load_path(path, false, err, errlen);
}

struct history *history_load_jsonl_text(const char *name, const char *text, size_t len, char *err,
					size_t errlen)
{
	struct history *h;
	FILE *f;

	f = fmemopen((void *)text, len, "r");
	if (!f) {
		err_set(err, errlen, "history: %s: %s", name, strerror(errno));
		return NULL;
	}
	h = history_load_stream(f, name, false, err, errlen);
	fclose(f);
	return h;
}

static bool history_store_lifecycle(json_t *e)
{
	const char *ev = json_string_value(json_object_get(e, "ev"));

	return ev && (strcmp(ev, "started") == 0 || strcmp(ev, "exit") == 0);
}

struct history *history_load_cell_events(const char *history_path, char *err, size_t errlen)
{
	return history_load_path(history_path, true, err, errlen);
}

struct history *history_load_cell(const char *history_path, const char *store_path, int64_t store_t_ns,
				  char *err, size_t errlen)
{
	struct history *loaded, *h;
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	loaded = history_load_jsonl(history_path, err, errlen);
	if (!loaded)
		return NULL;
	h = history_new();
	if (!h) {
		history_free(loaded);
		err_set(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < history_len(loaded); i++) {
		json_t *e = history_at(loaded, i);
		const char *role = json_string_value(json_object_get(e, "role"));

		/* The read-back's rows come from store.jsonl below; its start and exit stay, so a report
		   can tell acklab's own read-back traffic from the roles'. */
		if (role && strcmp(role, "store") == 0 && !history_store_lifecycle(e))
			continue;
		history_add(h, role ? role : "?", json_incref(e), json_integer_value(json_object_get(e, "t")));
	}
	history_free(loaded);
	f = fopen(store_path, "re");
	if (!f) {
		if (errno == ENOENT)
			return h;         /* the run ended before reading the store */
		err_set(err, errlen, "cannot open %s: %s", store_path, strerror(errno));
		history_free(h);
		return NULL;
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n > 0)
			history_add_store_line(h, line, store_t_ns);
	}
	free(line);
	fclose(f);
	return h;
}
