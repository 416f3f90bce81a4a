/*
 * cmd_user.c - `vigil user`: the accounts of the web page from the
 * sensor's console, for the day nobody can sign in as an administrator
 * (the only admin forgot the password, or left). There is no default
 * password and no back door in the page: whoever may run this as root on
 * the box may already read and change everything on it, so the console
 * is the recovery path.
 *
 *   vigil user list [-c FILE | --db FILE]
 *   vigil user reset-password [-c FILE | --db FILE] NAME
 *
 * reset-password gives NAME a random one-time password, printed once on
 * this terminal (never logged), ends NAME's sessions and audits it as
 * "(console)"; the page asks for a new password at the first sign-in.
 * Started as root, the command works as the owner of the database file
 * (vigil on the appliance), so nothing it writes becomes root's.
 */
#include "cmd.h"

#include "core/json.h"
#include "daemon/config.h"
#include "output/store.h"
#include "web/web_auth.h"
#include "web/web_req.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void user_usage(FILE *out)
{
	fprintf(out,
		"usage: vigil user list [-c FILE | --db FILE]\n"
		"       vigil user reset-password [-c FILE | --db FILE] NAME\n"
		"The web page's accounts, from the console (see vigil(8)).\n"
		"  list             every account: role, state, last sign-in\n"
		"  reset-password   a new one-time password for NAME (printed here); its\n"
		"                   sessions end; a new password is asked at the next sign-in\n"
		"  -c FILE          the configuration whose database to use (default\n"
		"                   " CONFIG_DEFAULT_PATH ")\n"
		"  --db FILE        this database instead\n");
}

/* Started as root: become the owner of the database file, so the -wal
 * and -shm files SQLite may create stay the daemon's. */
static int become_owner(const char *db, const struct stat *sb)
{
	if (geteuid() != 0 || sb->st_uid == 0)
		return 0;
	if (setgroups(0, NULL) != 0 || setgid(sb->st_gid) != 0 || setuid(sb->st_uid) != 0) {
		fprintf(stderr, "vigil user: cannot become the owner of %s (uid %u): %s\n", db,
			(unsigned)sb->st_uid, strerror(errno));
		return -1;
	}
	return 0;
}

static void fmt_time(char out[JSON_TS_LEN], int64_t us)
{
	if (!us) {
		snprintf(out, JSON_TS_LEN, "never");
		return;
	}
	json_format_ts(out, (uint64_t)us);
	out[19] = '\0';   /* 2024-05-01T10:00:00: seconds are enough here */
	out[10] = ' ';
}

static int list_users(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int rc, n = 0;

	if (sqlite3_prepare_v2(db, "SELECT username FROM users ORDER BY username", -1, &st,
			       NULL) != SQLITE_OK) {
		fprintf(stderr, "vigil user: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	printf("%-24s %-8s %-9s %-20s %s\n", "USER", "ROLE", "STATE", "LAST SIGN-IN (UTC)",
	       "SESSIONS");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct auth_user u;
		char last[JSON_TS_LEN];

		if (auth_user_get(db, (const char *)sqlite3_column_text(st, 0), &u) != 1) {
			rc = SQLITE_ERROR;
			break;
		}
		fmt_time(last, u.last_login_us);
		printf("%-24s %-8s %-9s %-20s %lld%s\n", u.name, u.role,
		       u.disabled_us ? "disabled" : "enabled", last, (long long)u.sessions,
		       u.must_change ? "  (password change due)" : "");
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "vigil user: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	if (n == 0)
		printf("(no account yet: the setup token of the first start creates the admin)\n");
	return 0;
}

static int reset_password(sqlite3 *db, const char *name)
{
	char pw[AUTH_TEMP_PASSWORD_LEN], err[256];
	struct auth_user u;
	int rc;

	if (auth_temp_password(pw) != 0) {
		fprintf(stderr, "vigil user: no random bytes: %s\n", strerror(errno));
		return 1;
	}
	rc = auth_password_reset(db, "(console)", name, pw, err, sizeof err);
	if (rc != 0) {
		if (rc == 1)
			fprintf(stderr, "vigil user: no such user '%s' (see vigil user list)\n", name);
		else
			fprintf(stderr, "vigil user: %s\n", err);
		explicit_bzero(pw, sizeof pw);
		return 1;
	}
	printf("one-time password for '%s': %s\n"
	       "Sign in with it on the page; it asks for a new password at once.\n"
	       "Every session of '%s' has ended.\n", name, pw, name);
	explicit_bzero(pw, sizeof pw);
	if (auth_user_get(db, name, &u) == 1 && u.disabled_us)
		printf("note: '%s' is disabled; it cannot sign in until an administrator enables it.\n",
		       name);
	return 0;
}

int cmd_user(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct vigil_config cfg;
	const char *cfg_path = CONFIG_DEFAULT_PATH, *db_path = NULL, *sub;
	char err[512];
	struct stat sb;
	sqlite3 *db = NULL;
	int c, rc, has_config = 0;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		user_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	sub = argv[1];
	if (strcmp(sub, "list") != 0 && strcmp(sub, "reset-password") != 0) {
		fprintf(stderr, "vigil user: unknown command '%s' (see vigil user --help)\n", sub);
		return 2;
	}
	argc--;
	argv++;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cfg_path = optarg; has_config = 1; break;
		case 'd': db_path = optarg; break;
		case 'h': user_usage(stdout); return 0;
		default:
			fprintf(stderr, "vigil user: unknown option or missing value '%s' (see --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if ((has_config && db_path) ||
	    (strcmp(sub, "list") == 0 ? optind != argc : optind != argc - 1)) {
		user_usage(stderr);
		return 2;
	}
	if (!db_path) {
		config_defaults(&cfg);
		if (config_load(&cfg, cfg_path, stderr) != 0) {
			fprintf(stderr, "vigil user: %s has problems (above); or name the database"
				" with --db\n", cfg_path);
			return 1;
		}
		db_path = cfg.database;
	}
	/* never create a database: a wrong path is an error, not a new sensor */
	errno = 0;
	if (stat(db_path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fprintf(stderr, "vigil user: %s: %s\n", db_path,
			errno ? strerror(errno) : "not a regular file");
		return 1;
	}
	if (become_owner(db_path, &sb) != 0)
		return 1;
	struct store *s = store_open(db_path, 0, err, sizeof err);   /* migrates, as the daemon would */
	if (!s) {
		fprintf(stderr, "vigil user: %s\n", err);
		return 1;
	}
	store_close(s);
	if (web_db_open(db_path, &db, err, sizeof err) != 0) {
		fprintf(stderr, "vigil user: %s\n", err);
		return 1;
	}
	rc = strcmp(sub, "list") == 0 ? list_users(db) : reset_password(db, argv[optind]);
	sqlite3_close(db);
	return rc;
}
