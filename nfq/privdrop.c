/* SPDX-License-Identifier: GPL-2.0-or-later */
/* privdrop.c: see privdrop.h. Raw capset(2) rather than libcap: two calls do not need a
 * library on a router. */
#define _GNU_SOURCE
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

static int set_caps_to_net_admin(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	uint32_t net_admin = 1u << CAP_NET_ADMIN; /* CAP_NET_ADMIN is 12: in the first word */

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	if (!(data[0].permitted & net_admin)) {
		errno = EPERM;
		return -1;
	}
	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = net_admin;
	return (int)syscall(SYS_capset, &hdr, data);
}

int privdrop(const char *user)
{
	const struct passwd *pw = NULL;

	if (geteuid() == 0 && user && strcmp(user, "root") != 0) {
		pw = getpwnam(user);
		if (!pw) {
			log_err("--user '%s': no such user", user);
			return -1;
		}
	}
	/* The bounding set goes first, while CAP_SETPCAP is still there (only as root). */
	for (int c = 0; c <= CAP_LAST_CAP && geteuid() == 0; c++)
		if (c != CAP_NET_ADMIN && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) && errno != EINVAL)
			break;
	if (pw) {
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) || setgroups(0, NULL) || setgid(pw->pw_gid) ||
		    setuid(pw->pw_uid)) {
			log_err("--user '%s': cannot switch to it: %s", user, strerror(errno));
			return -1;
		}
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	}
	if (set_caps_to_net_admin()) {
		log_err("cannot keep CAP_NET_ADMIN alone: %s", strerror(errno));
		return -1;
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
#if defined(__SANITIZE_ADDRESS__)
	/* The sanitizer build's leak check stops the process with ptrace, which a process that
	 * changed its user may not allow (it is no longer dumpable). Test builds only. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
	return 0;
}
