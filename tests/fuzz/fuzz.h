/*
 * fuzz.h: what every fuzz program in tests/fuzz shares, header-only because
 * each tests/fuzz/<area>_<name>.c is linked as a program of its own (like a
 * unit test).
 *
 * The sanitizers catch memory errors, leaks and undefined behaviour; these
 * helpers add the parser's own contract on top: FUZZ_CHECK aborts with a
 * message when a documented promise is broken (an error without a position,
 * a field left unterminated), and libFuzzer saves the input that did it, as
 * it does for a crash.
 */
#ifndef ACKLAB_FUZZ_H
#define ACKLAB_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Abort (a crash to libFuzzer, which keeps the input) when cond is false. */
#define FUZZ_CHECK(cond, ...)                                                        \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "%s:%d: fuzz check failed: %s: ", __FILE__, \
				__LINE__, #cond);                                    \
			fprintf(stderr, __VA_ARGS__);                                \
			fputc('\n', stderr);                                         \
			abort();                                                     \
		}                                                                    \
	} while (0)

/* A field of a fixed-size char array holds its NUL. */
#define FUZZ_TERMINATED(arr) (strnlen((arr), sizeof(arr)) < sizeof(arr))

/* The input as a NUL-terminated string (caller frees), or NULL when out of memory. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (!text)
		return NULL;
	memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

/*
 * Lines as a line-at-a-time parser counts them: every '\n' ends one, and
 * text after the last '\n' is one more.
 */
static inline int fuzz_count_lines(const char *text)
{
	int lines = 0;
	const char *c;

	for (c = text; *c; c++)
		if (*c == '\n')
			lines++;
	return lines + (c > text && c[-1] != '\n');
}

/* The length in bytes of line number `line` (1-based) of text; 0 past the end. */
static inline size_t fuzz_line_len(const char *text, long line)
{
	const char *c = text;

	for (long i = 1; i < line && *c; i++) {
		c = strchr(c, '\n');
		if (!c)
			return 0;
		c++;
	}
	return strcspn(c, "\n");
}

/*
 * err must start "NAME:LINE:COL: " and go on to say what is wrong, with
 * LINE in 1..max(lines, 1) and COL in 1..length+2 of that line (a missing
 * word is reported just past the line's end). With col_optional,
 * "NAME:LINE: " is accepted as well.
 */
static inline void fuzz_check_where(const char *err, const char *name, const char *text,
				    bool col_optional)
{
	size_t n = strlen(name), len;
	int lines = fuzz_count_lines(text);
	long line, col = 1;
	char *end;

	FUZZ_CHECK(strncmp(err, name, n) == 0 && err[n] == ':', "error does not name the file: '%s'", err);
	line = strtol(err + n + 1, &end, 10);
	FUZZ_CHECK(end != err + n + 1 && *end == ':', "error has no line: '%s'", err);
	FUZZ_CHECK(line >= 1 && line <= (lines ? lines : 1), "line %ld outside 1..%d: '%s'", line, lines,
		   err);
	if (end[1] == ' ') {
		FUZZ_CHECK(col_optional, "error has no column: '%s'", err);
	} else {
		const char *c = end + 1;

		col = strtol(c, &end, 10);
		FUZZ_CHECK(end != c && *end == ':' && end[1] == ' ', "error has no column: '%s'", err);
	}
	len = fuzz_line_len(text, line);
	FUZZ_CHECK(col >= 1 && (size_t)col <= len + 2, "column %ld outside 1..%zu: '%s'", col, len + 2,
		   err);
	FUZZ_CHECK(end[2] != '\0', "error says where but not what: '%s'", err);
}

#endif
