/*
 * log: the one way every acklab program talks to a person on stderr.
 *
 * In the OpenBSD manner: log_warn() appends strerror(errno), log_warnx() does
 * not; fatal()/fatalx() print and exit(1) and are for main() and freshly
 * forked children only. Library code never prints and returns at once: it
 * fills an error buffer for its caller (see err_set() in util.h).
 * Every line is prefixed with the program name set by log_init().
 */
#ifndef ACKLAB_LOG_H
#define ACKLAB_LOG_H

#include <stdarg.h>

enum log_level { LOG_LEVEL_WARN = 0, LOG_LEVEL_INFO = 1, LOG_LEVEL_DEBUG = 2 };

/* Set the prefix (kept by pointer: pass a string literal or argv[0]) and verbosity. */
void log_init(const char *progname, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
