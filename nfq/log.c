/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.c: one line per event, to syslog (logread on OpenWrt) or stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

int log_level = LOG_INFO;
static int to_stderr;

void log_open(int foreground)
{
	to_stderr = foreground;
	if (!foreground)
		openlog("sipalgd", LOG_PID, LOG_DAEMON);
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio > __atomic_load_n(&log_level, __ATOMIC_RELAXED)) /* SIGHUP's reload sets it */
		return;
	va_start(ap, fmt);
	if (to_stderr) {
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(prio, fmt, ap);
	}
	va_end(ap);
}
