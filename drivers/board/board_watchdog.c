/*
 * board_watchdog.c - what the kernel says about the hardware watchdog
 * (board_watchdog.h). Reads only; the attributes are world-readable, so
 * this works before and after the privilege drop.
 */
#include "board_watchdog.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The first line of dir/name into buf ("" if it cannot be read). */
static void wd_read_line(const char *dir, const char *name, char *buf, size_t len)
{
	char path[1200];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

int board_watchdog_probe(const char *sysfs, struct board_watchdog *w)
{
	char dir[1100], line[64];
	const char *root = sysfs && *sysfs ? sysfs : "/sys";
	struct dirent *e;
	long best = -1;
	DIR *d;

	memset(w, 0, sizeof *w);
	w->timeout_s = -1;
	w->active = -1;
	snprintf(dir, sizeof dir, "%s/class/watchdog", root);
	if (!(d = opendir(dir)))
		return 0;
	while ((e = readdir(d))) {
		char *end;
		long n;
		if (strncmp(e->d_name, "watchdog", 8) != 0)
			continue;
		n = strtol(e->d_name + 8, &end, 10);
		if (end == e->d_name + 8 || *end || n < 0)
			continue;
		if (best < 0 || n < best)
			best = n;
	}
	closedir(d);
	if (best < 0)
		return 0;
	w->present = 1;
	snprintf(w->dev, sizeof w->dev, "watchdog%ld", best);
	snprintf(dir, sizeof dir, "%s/class/watchdog/%s", root, w->dev);
	wd_read_line(dir, "identity", w->identity, sizeof w->identity);
	wd_read_line(dir, "timeout", line, sizeof line);
	if (line[0] >= '0' && line[0] <= '9')
		w->timeout_s = atoi(line);
	wd_read_line(dir, "state", line, sizeof line);
	if (strcmp(line, "active") == 0)
		w->active = 1;
	else if (strcmp(line, "inactive") == 0)
		w->active = 0;
	return 1;
}

void board_watchdog_describe(const struct board_watchdog *w, char *buf, size_t len)
{
	char timeout[32] = "";

	if (!w->present) {
		snprintf(buf, len, "none");
		return;
	}
	if (w->timeout_s >= 0)
		snprintf(timeout, sizeof timeout, ", %d s", w->timeout_s);
	snprintf(buf, len, "%s (%s)%s, %s", w->dev, w->identity[0] ? w->identity : "unnamed",
		 timeout, w->active == 1 ? "armed" : w->active == 0 ? "not armed" :
		 "armed or not: the kernel does not say");
}
