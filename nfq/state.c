/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state.c: the binding table's file (see state.h). */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* See save_interval. */
#define STATE_RECORDS_PER_SECOND 10000
#define STATE_MAX_INTERVAL 30

/* The kernel's id of this boot: a file from an earlier boot holds times of another clock
 * (CLOCK_MONOTONIC starts again at a reboot). /var/run is a tmpfs on OpenWrt and on systemd
 * hosts, so such a file should not exist; this is the guard if it does. Unreadable in a
 * jail without /proc: then the clock alone guards (a file "saved" later than now is refused). */
static void read_boot_id(char *out, size_t cap)
{
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, out, cap - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		n = 0;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

int state_open(struct state *s, const char *path)
{
	memset(s, 0, sizeof(*s));
	s->path = path && *path ? path : NULL;
	if (!s->path)
		return 0;
	s->cap = 64 * 1024; /* a few hundred phones; more when needed */
	s->buf = malloc(s->cap);
	if (!s->buf) {
		log_err("state file %s: out of memory", s->path);
		state_close(s);
		return -1;
	}
	read_boot_id(s->boot, sizeof(s->boot));
	return 0;
}

void state_close(struct state *s)
{
	free(s->buf);
	s->buf = NULL;
	s->path = NULL;
}

static int grow(struct state *s, size_t want, size_t max)
{
	size_t cap = s->cap;
	char *b;

	while (cap < want && cap < max)
		cap *= 2;
	if (cap > max)
		cap = max;
	if (cap < want || !(b = realloc(s->buf, cap))) {
		errno = cap < want ? EFBIG : ENOMEM;
		return -1;
	}
	s->buf = b;
	s->cap = cap;
	return 0;
}

/* The table as text in s->buf at time `at`: its length, or 0 (errno set) when it cannot be
 * held. */
static size_t render(struct state *s, const struct alg_table *t, int64_t at)
{
	size_t len;

	while ((len = table_save(t, s->buf, s->cap, at, s->boot)) == 0)
		if (s->cap >= table_state_max(t) || grow(s, s->cap * 2, table_state_max(t)))
			return 0;
	return len;
}

/* FNV-1a: whether the text is the one written last, without keeping a copy of it. */
static uint64_t text_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 0x100000001b3ull;
	return h | 1;
}

/* The file's text into s->buf; its length, or -1 with errno (EFBIG: too large). Not through
 * a symbolic link, and only a regular file (a FIFO would block the start). */
static ssize_t read_file(struct state *s, size_t max)
{
	int fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if ((size_t)st.st_size > max) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	if ((size_t)st.st_size > s->cap && grow(s, (size_t)st.st_size, max)) {
		close(fd);
		return -1;
	}
	while (len < s->cap && (n = read(fd, s->buf + len, s->cap - len)) > 0)
		len += (size_t)n;
	close(fd);
	return (ssize_t)len;
}

size_t state_restore(struct state *s, struct alg_table *t, int64_t now)
{
	struct table_state_counts c;
	char err[256], bad[4096];
	ssize_t len;

	if (!s->path)
		return 0;
	len = read_file(s, table_state_max(t));
	if (len < 0 && errno == ENOENT) {
		log_info("no state file %s: nothing to restore", s->path);
		return 0;
	}
	if (len < 0) {
		log_warn("state file %s: cannot read it (%s): starting with nothing restored", s->path,
			 errno == EFBIG ? "larger than this table's text can be (max_bindings, max_calls)" :
			 errno == ELOOP ? "a symbolic link" : errno == EINVAL ? "not a regular file" : strerror(errno));
		return 0;
	}
	if (table_load(t, s->buf, (size_t)len, now, s->boot, &c, err, sizeof(err))) {
		snprintf(bad, sizeof(bad), "%s.bad", s->path);
		log_warn("state file %s refused: %s; starting with nothing restored (the file is kept as %s)",
			 s->path, err, rename(s->path, bad) == 0 ? bad : "it was");
		return 0;
	}
	log_notice("restored %u registration%s and %u call%s from %s (%u signaling binding%s, %u media "
		   "pinhole%s; %u record%s had expired)", c.registrations, c.registrations == 1 ? "" : "s",
		   c.calls, c.calls == 1 ? "" : "s", s->path, c.signaling, c.signaling == 1 ? "" : "s",
		   c.pinholes, c.pinholes == 1 ? "" : "s", c.expired, c.expired == 1 ? "" : "s");
	return c.signaling + c.pinholes;
}

/* Writes len bytes of s->buf to the file, through a temporary file renamed over it. */
static int write_file(struct state *s, size_t len)
{
	char tmp[4096];
	size_t done = 0;
	ssize_t n;
	int fd, saved_errno;

	snprintf(tmp, sizeof(tmp), "%s.new", s->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	while (done < len && (n = write(fd, s->buf + done, len - done)) > 0)
		done += (size_t)n;
	/* No fsync: the file lives in a tmpfs (it need only outlive the process, not a power
	 * cut), and a flash write a second would wear a router's storage. */
	if (done < len || close(fd) || rename(tmp, s->path)) {
		saved_errno = done < len ? (errno ? errno : ENOSPC) : errno;
		if (done < len)
			close(fd);
		unlink(tmp);
		errno = saved_errno;
		return -1;
	}
	return 0;
}

int state_pending(const struct state *s, unsigned long activity)
{
	return s->path && activity != s->activity;
}

/* Seconds from one write to the next: 1 for a home router's table; a large one is written
 * less often, as its text costs time to make (some 60 bytes a binding, 200 a call: about
 * 0.1 s of CPU for 100,000 records), so that the file takes at most a few percent of it. */
static int64_t save_interval(const struct alg_table *t)
{
	int64_t records = (int64_t)t->n_bound[ALG_PORT_SIGNALING] + t->n_bound[ALG_PORT_MEDIA] + t->n_lan_calls;
	int64_t every = 1 + records / STATE_RECORDS_PER_SECOND;

	return every < STATE_MAX_INTERVAL ? every : STATE_MAX_INTERVAL;
}

void state_save(struct state *s, const struct alg_table *t, int64_t now, unsigned long activity, int force)
{
	size_t len;

	if (!s->path || (!force && now < s->next))
		return;
	/* Unchanged since the last look: the file still says what the table holds (its
	 * lifetimes are relative to its own time; what expired since is left out on reading). */
	if (!force && s->written && activity == s->activity)
		return;
	s->next = now + save_interval(t);
	s->activity = activity;
	if (!force && s->written && (len = render(s, t, s->written_at)) != 0 && text_hash(s->buf, len) == s->written)
		return;
	len = render(s, t, now);
	if (len == 0 || write_file(s, len)) {
		if (!s->failing)
			log_warn("state file %s: cannot write it (%s); a restart would lose the registrations",
				 s->path, strerror(errno));
		s->failing = 1;
		return;
	}
	if (s->failing)
		log_notice("state file %s: written again", s->path);
	s->failing = 0;
	s->written = text_hash(s->buf, len);
	s->written_at = now;
}
