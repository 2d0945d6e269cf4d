/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wan_watch.h: notices IPv4 address changes (DHCP, PPPoE) through rtnetlink, so that the
 * public address follows the WAN interface without a restart. */
#ifndef SIPALG_WAN_WATCH_H
#define SIPALG_WAN_WATCH_H

/* A socket that becomes readable when an interface gains or loses an IPv4 address; -1 on
 * error (logged). */
int wan_watch_open(void);
/* Reads what is pending; returns 1 if any address changed, 0 if not. */
int wan_watch_read(int fd);
void wan_watch_close(int fd);

#endif
