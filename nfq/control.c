/* SPDX-License-Identifier: GPL-2.0-or-later */
/* control.c: a unix stream socket for the status view. */
#define _GNU_SOURCE
#include "control.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

int control_open(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("--control '%s': path too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	{
		char dir[sizeof(sa.sun_path)];
		char *slash;

		strcpy(dir, path);
		slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0750) && errno != EEXIST)
				log_warn("--control '%s': cannot make %s: %s", path, dir, strerror(errno));
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		log_err("another sipalgd answers on %s; not starting a second one", path);
		close(fd);
		return -1;
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	unlink(path); /* a stale socket of an instance that died */
	old = umask(0177); /* the socket is created owner-only */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4)) {
		log_err("--control '%s': %s", path, strerror(errno));
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	return fd;
}

void control_close(int fd, const char *path)
{
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
}

void control_serve(int fd, size_t (*answer)(void *ctx, const char *cmd, char *buf, size_t cap), void *ctx)
{
	static char out[1 << 20];
	char cmd[64] = { 0 };
	struct pollfd pfd;
	size_t len, sent = 0;
	ssize_t n;
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	if (c < 0)
		return;
	/* A client has a moment to say what it wants; the daemon never waits long on it. */
	pfd = (struct pollfd){ c, POLLIN, 0 };
	if (poll(&pfd, 1, 200) == 1 && (n = read(c, cmd, sizeof(cmd) - 1)) > 0) {
		cmd[n] = '\0';
		cmd[strcspn(cmd, "\r\n")] = '\0';
		len = answer(ctx, cmd, out, sizeof(out));
		while (sent < len) {
			pfd = (struct pollfd){ c, POLLOUT, 0 };
			if (poll(&pfd, 1, 200) != 1 || (n = write(c, out + sent, len - sent)) <= 0)
				break;
			sent += (size_t)n;
		}
	}
	close(c);
}
