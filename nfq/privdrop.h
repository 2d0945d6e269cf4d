/* SPDX-License-Identifier: GPL-2.0-or-later */
/* privdrop.h: the daemon gives up what it no longer needs once its sockets are open. */
#ifndef SIPALG_PRIVDROP_H
#define SIPALG_PRIVDROP_H

/* Keeps CAP_NET_ADMIN only (nftables, conntrack and the queue, which can be reopened after a
 * firewall flush or a WAN change) and, when running as root, becomes `user`. Returns 0, or -1
 * after logging what failed. */
int privdrop(const char *user);

#endif
