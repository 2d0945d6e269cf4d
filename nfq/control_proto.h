/* SPDX-License-Identifier: GPL-2.0-or-later */
/* control_proto.h: the control socket's protocol, shared by sipalgd and its client
 * tools/sipalgctl. A client connects, sends one command line ending in '\n' and reads the
 * answer until the daemon closes the connection. No functions here: a client needs only this. */
#ifndef SIPALG_CONTROL_PROTO_H
#define SIPALG_CONTROL_PROTO_H

#define CONTROL_DEFAULT_PATH "/var/run/sipalg/sipalgd.sock"

/* The commands: the status as text for a person, or as JSON for scripts. */
#define CONTROL_CMD_STATUS "status"
#define CONTROL_CMD_STATUS_JSON "status json"

#endif
