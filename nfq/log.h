/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.h: syslog-friendly logging; to stderr when running in the foreground. */
#ifndef SIPALG_LOG_H
#define SIPALG_LOG_H

#include <syslog.h>

extern int log_level;

void log_open(int foreground);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
