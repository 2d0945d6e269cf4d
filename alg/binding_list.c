/* SPDX-License-Identifier: GPL-2.0-or-later */
/* binding_list.c: a fixed list of NAT bindings behind the alg_nat interface. */
#include "alg.h"

static uint16_t list_public_port(void *ctx, struct alg_endpoint priv, enum alg_port_kind kind)
{
	const struct alg_binding_list *l = ctx;

	(void)kind;
	for (size_t i = 0; i < l->n; i++)
		if (endpoint_eq(l->b[i].priv, priv))
			return l->b[i].pub_port;
	return priv.port;
}

static int list_private_endpoint(void *ctx, uint16_t pub, struct alg_endpoint *priv)
{
	const struct alg_binding_list *l = ctx;

	for (size_t i = 0; i < l->n; i++) {
		if (l->b[i].pub_port == pub) {
			*priv = l->b[i].priv;
			return 0;
		}
	}
	return -1;
}

struct alg_nat alg_nat_list(struct alg_binding_list *list)
{
	struct alg_nat nat = { .public_port = list_public_port,
			       .private_endpoint = list_private_endpoint, .ctx = list };

	return nat;
}
