/* SPDX-License-Identifier: GPL-2.0-or-later */
/* control.h: the daemon's unix control socket; its protocol (path, commands) is in
 * control_proto.h. */
#ifndef SIPALG_CONTROL_H
#define SIPALG_CONTROL_H

#include <stddef.h>

#include "control_proto.h"

/* Listening socket at path, owner-only (0600), its directory made if missing; -1 on error
 * (logged). */
int control_open(const char *path);
void control_close(int fd, const char *path);
/* Serves one waiting client: reads its command, writes answer(cmd) back. */
void control_serve(int fd, size_t (*answer)(void *ctx, const char *cmd, char *buf, size_t cap), void *ctx);

#endif
