/*
 * daemon_privs.h - how `vigil run` gives up root once its capture sources
 * and the board's LED are open (OpenBSD's privilege separation, in the
 * form Linux offers a single process).
 *
 * Owns: the directories the daemon writes in (made and handed to the
 * user it becomes, before the drop) and the drop itself: groups, gid, uid
 * for good, no_new_privs, no capability left. Sockets opened before keep
 * working.
 */
#ifndef VIGIL_DAEMON_PRIVS_H
#define VIGIL_DAEMON_PRIVS_H

#include <pwd.h>

#include "config.h"

/* state_dir (and its managed rules), the database's and EVE's directories:
 * what is missing is created for pw's user (pw NULL: as we are); a
 * root-owned state_dir is handed over too. Problems are logged. */
void privs_prepare_dirs(const struct vigil_config *c, const struct passwd *pw);

/* Become pw's user for good with no capabilities left. 0, or -1 (logged). */
int privs_drop(const struct passwd *pw);

#endif
