/*
 * balancer: HAProxy's configuration, its program and its runtime API; see
 * balancer.h.
 */
#include "balancer.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "outdir.h"
#include "util.h"

int balancer_find(char *path, size_t len)
{
	const char *env = getenv("PATH");
	char dirs[4096];

	snprintf(dirs, sizeof dirs, "%s:/usr/sbin:/sbin", env ? env : "/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if (!*d)
			continue;
		snprintf(path, len, "%s/haproxy", d);
		if (access(path, X_OK) == 0)
			return 0;
	}
	path[0] = '\0';
	return -1;
}

int balancer_write_config(const struct outdir *dir, const char *front_addr, int port,
			  const char *const *addrs, int n, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	bool failed;
	int rc;

	if (strlen(dir->path) + 1 + strlen(BALANCER_SOCKET) >= sizeof sun.sun_path)
		return err_set(err, errlen, "%s/%s: too long for HAProxy's control socket (at most %zu "
			       "characters): give --out a shorter folder", dir->path, BALANCER_SOCKET,
			       sizeof sun.sun_path - 1);
	f = open_memstream(&text, &len);
	if (!f)
		return err_set(err, errlen, "out of memory");
	fprintf(f, "# HAProxy for one acklab cell: written by acklab, see harness/balancer.h.\n"
		   "global\n"
		   "\tstats socket %s/%s mode 600 level admin\n"
		   "\tmaxconn 4096\n\n"
		   "defaults\n"
		   "\tmode http\n"
		   "\ttimeout connect 1s\n"
		   "\ttimeout client 60s\n"
		   "\ttimeout server 60s\n"
		   "\ttimeout tunnel 1h\n"
		   "\ttimeout http-keep-alive 10s\n"
		   "\tretries 0\n\n"
		   "frontend front\n"
		   "\tbind %s:%d\n"
		   "\tdefault_backend %s\n\n"
		   "backend %s\n"
		   "\tbalance first\n",
		dir->path, BALANCER_SOCKET, front_addr, port, BALANCER_BACKEND, BALANCER_BACKEND);
	for (int i = 0; i < n; i++)
		fprintf(f, "\tserver server%d %s:%d check inter 100ms fall 2 rise 1 observe layer4 error-limit 1 "
			   "on-error mark-down\n", i + 1, addrs[i], port);
	failed = ferror(f) != 0;
	if (fclose(f) != 0 || failed) {
		free(text);
		return err_set(err, errlen, "out of memory");
	}
	rc = outdir_write_file(dir, BALANCER_CONFIG, text, len, err, errlen);
	free(text);
	return rc;
}

int balancer_command(const char *sock, const char *cmd, int timeout_ms, char *reply, size_t len, char *err,
		     size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
	size_t used = 0;
	char line[256];
	int fd, n;

	if (len)
		reply[0] = '\0';
	if (strlen(sock) >= sizeof sun.sun_path)
		return err_set(err, errlen, "%s: path too long for a UNIX socket", sock);
	str_copy(sun.sun_path, sock, sizeof sun.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(err, errlen, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		err_set(err, errlen, "HAProxy's control socket %s: %s", sock, strerror(errno));
		close(fd);
		return -1;
	}
	n = snprintf(line, sizeof line, "%s\n", cmd);
	if (n >= (int)sizeof line || write(fd, line, (size_t)n) != n) {
		err_set(err, errlen, "HAProxy's control socket %s: cannot send '%s'", sock, cmd);
		close(fd);
		return -1;
	}
	/* HAProxy answers, then closes: read until it does, or the deadline. */
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int left = (int)((deadline - mono_ns()) / 1000000);
		ssize_t r;

		if (left <= 0 || poll(&pfd, 1, left) <= 0) {
			err_set(err, errlen, "HAProxy did not answer '%s' within %d ms", cmd, timeout_ms);
			close(fd);
			return -1;
		}
		r = read(fd, line, sizeof line);
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r && used + 1 < len; i++)
			reply[used++] = line[i];
	}
	if (len)
		reply[used < len ? used : len - 1] = '\0';
	close(fd);
	return 0;
}
