/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sipalgctl: asks a running sipalgd for its status. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control_proto.h"

static int usage(FILE *f, int rc)
{
	fprintf(f, "usage: sipalgctl [--socket PATH] status [--json]\n"
		   "Shows a running sipalgd's counters, registrations, dialogs and pinholes.\n"
		   "  --socket PATH  the daemon's control socket (default " CONTROL_DEFAULT_PATH ")\n"
		   "  --json         for scripts\n");
	return rc;
}

int main(int argc, char **argv)
{
	const char *path = CONTROL_DEFAULT_PATH, *cmd = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[4096];
	int json = 0, fd;
	ssize_t n;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "status") == 0)
			cmd = CONTROL_CMD_STATUS;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(stdout, 0);
		else {
			fprintf(stderr, "sipalgctl: unknown argument '%s'\n", argv[i]);
			return usage(stderr, 2);
		}
	}
	if (!cmd)
		return usage(stderr, 2);
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "sipalgctl: --socket '%s': path too long\n", path);
		return 2;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "sipalgctl: %s: is sipalgd running? (%m)\n", path);
		return 1;
	}
	if (dprintf(fd, "%s\n", json ? CONTROL_CMD_STATUS_JSON : cmd) < 0)
		return 1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return n < 0;
}
