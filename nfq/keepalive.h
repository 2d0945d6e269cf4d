/* SPDX-License-Identifier: GPL-2.0-or-later */
/* keepalive.h: behind another NAT, that NAT forgets a registered phone's mapping after its
 * own UDP timeout (30 s on many carrier NATs) and incoming calls stop arriving. Each
 * registered phone's registrar gets a keep-alive, CRLF CRLF (RFC 5626 4.4.1's ping; SIP
 * servers ignore it on UDP), sent as if from the phone: from the phone's address and port on
 * a transparent socket (IP_TRANSPARENT, CAP_NET_ADMIN), so that it takes the phone's own
 * conntrack flow, or the binding's SNAT element, and leaves from the binding's public port. */
#ifndef SIPALG_KEEPALIVE_H
#define SIPALG_KEEPALIVE_H

#include "table.h"

/* Sends one keep-alive for every registered signaling binding whose registrar is known;
 * returns how many were sent (failures are counted in *failed and logged once). */
unsigned keepalive_send_all(const struct alg_table *t, unsigned long *failed);

#endif
