/*
 * log: stderr logging with a program prefix and three levels; see log.h.
 * errno is saved on entry so that log_warn() reports the caller's error even
 * if formatting itself touches errno.
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *log_prog = "acklab";
static enum log_level log_level = LOG_LEVEL_WARN;

void log_init(const char *progname, enum log_level level)
{
	const char *slash = progname ? strrchr(progname, '/') : NULL;

	log_prog = slash ? slash + 1 : (progname ? progname : "acklab");
	log_level = level;
}

void log_set_level(enum log_level level) { log_level = level; }
enum log_level log_get_level(void) { return log_level; }

static void log_vemit(const char *fmt, va_list ap, int errnum)
{
	char buf[2048];

	vsnprintf(buf, sizeof buf, fmt, ap);
	if (errnum)
		fprintf(stderr, "%s: %s: %s\n", log_prog, buf, strerror(errnum));
	else
		fprintf(stderr, "%s: %s\n", log_prog, buf);
	fflush(stderr);
}

void log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(fmt, ap, saved);
	va_end(ap);
	errno = saved;
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(fmt, ap, 0);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	log_vemit(fmt, ap, 0);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	log_vemit(fmt, ap, 0);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(fmt, ap, saved);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(fmt, ap, 0);
	va_end(ap);
	exit(1);
}
