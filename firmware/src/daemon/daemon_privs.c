/*
 * daemon_privs.c - giving up root (see daemon_privs.h).
 */
#include "daemon_privs.h"

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

/* mkdir -p; chown what we create to the user we will become (uid -1: no). */
static int make_dirs(const char *path, uid_t uid, gid_t gid)
{
	char tmp[1100];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof tmp)
		return -1;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(tmp, 0750) == 0) {
			if (uid != (uid_t)-1 && chown(tmp, uid, gid) != 0)
				log_warn("%s: chown: %s", tmp, strerror(errno));
		} else if (errno != EEXIST) {
			log_error("%s: %s", tmp, strerror(errno));
			return -1;
		}
		*p = c;
		if (!c)
			break;
	}
	return 0;
}

/* The directories the daemon writes in: state_dir (and its managed rules),
 * the database's and EVE's. What is missing is created for the user;
 * state_dir is the daemon's own, so a root-owned one is handed over too. */
void privs_prepare_dirs(const struct vigil_config *c, const struct passwd *pw)
{
	uid_t uid = pw ? pw->pw_uid : (uid_t)-1;
	gid_t gid = pw ? pw->pw_gid : (gid_t)-1;
	char rules[1100], buf[1024];
	struct stat st;

	make_dirs(c->state_dir, uid, gid);
	if (pw && stat(c->state_dir, &st) == 0 && st.st_uid == 0 &&
	    chown(c->state_dir, uid, gid) != 0)
		log_warn("%s: chown: %s (the daemon must be able to write there as %s)",
			 c->state_dir, strerror(errno), pw->pw_name);
	snprintf(rules, sizeof rules, "%s/rules", c->state_dir);
	make_dirs(rules, uid, gid);
	snprintf(buf, sizeof buf, "%s", c->database);
	make_dirs(dirname(buf), uid, gid);
	if (c->eve[0] && strcmp(c->eve, "-") != 0) {
		snprintf(buf, sizeof buf, "%s", c->eve);
		make_dirs(dirname(buf), uid, gid);
	}
}

/* Become user for good: groups, gid, uid, no way back (no_new_privs), and
 * no capabilities left. Sockets opened before keep working. */
int privs_drop(const struct passwd *pw)
{
	cap_t none;

	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
		log_error("cannot become user %s: %s", pw->pw_name, strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		log_error("could become root again after dropping privileges");
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		log_error("prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		return -1;
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	none = cap_init();
	if (!none || cap_set_proc(none) != 0) {
		log_error("cannot clear capabilities: %s", strerror(errno));
		cap_free(none);
		return -1;
	}
	cap_free(none);
	log_info("running as %s (uid %u, gid %u) without capabilities", pw->pw_name,
		 (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
	return 0;
}
