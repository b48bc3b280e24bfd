/*
 * token: finding a message's token in text or in packet bytes, whole.
 *
 * Every message acklab sends carries a token such as "acklab-5f2c-m3" in its
 * text, so any server's store and any recipient's screen can be searched for
 * it black-box. A token must be matched whole: "acklab-5f2c-m1" occurs inside
 * "acklab-5f2c-m10", and a plain substring search would take m10's copies for
 * m1's. A token ends where the next character cannot continue a message id:
 * message ids are letters, digits, '_', '-' and '.', so "m1" is followed by a
 * character outside those, by the end, or by a '.' or '-' that is itself not
 * followed by a letter or digit (sentence punctuation: "... (acklab-5f2c-m1).").
 */
#ifndef ACKLAB_TOKEN_H
#define ACKLAB_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#define TOKEN_PREFIX "acklab-"
#define TOKEN_MAX 96

/* The first whole occurrence of token (tlen bytes) in buf[0..len), or NULL. */
const char *token_memfind(const char *buf, size_t len, const char *token, size_t tlen);
/* Does text (NUL-terminated, may be NULL) hold token whole? */
bool token_in_text(const char *text, const char *token);
/*
 * The next token in text at or after *pos: copies it to out (at most len-1
 * bytes) and moves *pos past it. Returns false when there is none. Used to
 * find every token a text carries in one pass (the checker's index).
 */
bool token_next(const char *text, size_t *pos, char *out, size_t len);
/*
 * The same without a copy: the next token in text (len bytes, then a NUL)
 * at or after *pos is text[*start .. *start + *tlen); *pos moves past it
 * (to len when there is none, and false).
 */
bool token_span_next(const char *text, size_t len, size_t *pos, size_t *start, size_t *tlen);

#endif
