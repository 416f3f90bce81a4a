/*
 * test_web_auth.c - the web stage's secrets (web/web_auth.h) on a real
 * SQLite store: the helpers (hex, the SHA-256 of a token against known
 * answers, constant-time comparison, usernames, roles, the password
 * rule), yescrypt hashes, the console's one-time passwords, the setup
 * token (file mode 0600, only its hash stored, gone once an account
 * exists), sessions (found by cookie, refused when malformed, unknown or
 * the account is disabled) and the login throttle at chosen times.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/clock.h"
#include "core/log.h"
#include "output/store.h"
#include "web/web_auth.h"
#include "unit_tmpdir.h"

static char dir[64], db_path[128];

static int setup(void **state)
{
	char err[256];
	struct store *s;

	(void)state;
	log_set_level(LOG_LVL_ERROR);   /* the setup token's notice */
	if (tmpdir_make(dir, "auth") != 0)
		return -1;
	snprintf(db_path, sizeof db_path, "%s/vigil.sqlite", dir);
	s = store_open(db_path, 0, err, sizeof err);   /* the schema, as vigil makes it */
	if (!s)
		return -1;
	return store_close(s);
}

static int group_teardown(void **state)
{
	(void)state;
	return tmpdir_remove(dir);
}

static sqlite3 *db_open(void)
{
	sqlite3 *db = NULL;
	char err[256];

	assert_int_equal(web_db_open(db_path, &db, err, sizeof err), 0);
	return db;
}

static void test_helpers(void **state)
{
	uint8_t b[3] = { 0x00, 0xab, 0xff };
	char hex[7], h[65];

	(void)state;
	auth_hex(b, sizeof b, hex);
	assert_string_equal(hex, "00abff");
	auth_sha256_hex("abc", h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	auth_sha256_hex("", h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	assert_true(auth_equal("same", "same"));
	assert_false(auth_equal("same", "sane"));
	assert_false(auth_equal("same", "same1"));
	assert_false(auth_equal("", "x"));

	assert_true(auth_valid_username("ana.lyst@cert-1_x"));
	assert_false(auth_valid_username(""));
	assert_false(auth_valid_username("."));
	assert_false(auth_valid_username(".."));
	assert_false(auth_valid_username("a/b"));
	assert_false(auth_valid_username("a b"));
	char longname[AUTH_USERNAME_MAX + 2];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_false(auth_valid_username(longname));
	longname[AUTH_USERNAME_MAX] = '\0';
	assert_true(auth_valid_username(longname));

	assert_true(auth_valid_role("admin"));
	assert_true(auth_valid_role("analyst"));
	assert_false(auth_valid_role("root"));

	/* characters count, not bytes: nine two-byte letters are too few */
	assert_non_null(auth_password_problem("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
					      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"));
	assert_null(auth_password_problem("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
					  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"));
	assert_non_null(auth_password_problem("short"));
	assert_null(auth_password_problem("correct horse"));
}

static void test_passwords(void **state)
{
	char hash[256], hash2[256], tmp[AUTH_TEMP_PASSWORD_LEN], tmp2[AUTH_TEMP_PASSWORD_LEN];

	(void)state;
	assert_int_equal(auth_hash_password("correct horse", hash, sizeof hash), 0);
	assert_int_equal(strncmp(hash, "$y$", 3), 0);
	assert_true(auth_verify_password("correct horse", hash));
	assert_false(auth_verify_password("correct horsE", hash));
	/* salted: the same password hashes differently */
	assert_int_equal(auth_hash_password("correct horse", hash2, sizeof hash2), 0);
	assert_string_not_equal(hash, hash2);

	assert_int_equal(auth_temp_password(tmp), 0);
	assert_int_equal(auth_temp_password(tmp2), 0);
	assert_int_equal(strlen(tmp), AUTH_TEMP_PASSWORD_LEN - 1);
	assert_string_not_equal(tmp, tmp2);
	for (int i = 0; tmp[i]; i++)
		assert_true(i % 6 == 5 ? tmp[i] == '-' : (tmp[i] != '-' && tmp[i] != '0' &&
							    tmp[i] != 'O' && tmp[i] != 'l'));
	assert_null(auth_password_problem(tmp));
}

static void test_setup_token(void **state)
{
	sqlite3 *db = db_open();
	char token[65], again[65], err[256], path[160], file[80] = "", h[65];
	struct stat sb;
	sqlite3_stmt *st;
	FILE *f;

	(void)state;
	assert_int_equal(auth_setup_init(db, dir, token, sizeof token, err, sizeof err), 0);
	assert_true(strlen(token) >= 20);
	snprintf(path, sizeof path, "%s/setup-token", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(file, sizeof file, f));
	fclose(f);
	file[strcspn(file, "\n")] = '\0';
	assert_string_equal(file, token);
	/* only the hash is in the database */
	auth_sha256_hex(token, h);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT token_hash FROM setup", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), h);
	sqlite3_finalize(st);

	/* a restart without an account: a new token replaces the old one */
	assert_int_equal(auth_setup_init(db, dir, again, sizeof again, err, sizeof err), 0);
	assert_string_not_equal(token, again);

	/* with an account there is no token, and a leftover file goes */
	assert_int_equal(sqlite3_exec(db, "INSERT INTO users (username, hash, role, created_us)"
				      " VALUES ('admin', 'x', 'admin', 1)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(auth_setup_init(db, dir, again, sizeof again, err, sizeof err), 0);
	assert_string_equal(again, "");
	assert_int_not_equal(stat(path, &sb), 0);
	sqlite3_close(db);
}

static void test_sessions(void **state)
{
	sqlite3 *db = db_open();
	char cookie[65], sql[400];
	struct web_session s;
	uint64_t now = wall_us();

	(void)state;
	assert_int_equal(sqlite3_exec(db, "INSERT OR IGNORE INTO users (username, hash, role,"
				      " created_us) VALUES ('ana', 'x', 'analyst', 1)", NULL, NULL,
				      NULL), SQLITE_OK);
	memset(cookie, 'a', 64);
	cookie[64] = '\0';
	auth_sha256_hex(cookie, s.id_hash);
	snprintf(sql, sizeof sql, "INSERT INTO sessions (id, username, csrf, created_us, seen_us)"
		 " VALUES ('%s', 'ana', 'c5f', %llu, %llu)", s.id_hash, (unsigned long long)now,
		 (unsigned long long)now);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);

	assert_int_equal(auth_session_get(db, cookie, &s), 1);
	assert_string_equal(s.user, "ana");
	assert_string_equal(s.role, "analyst");
	assert_string_equal(s.csrf, "c5f");

	/* malformed or unknown cookies find nothing */
	assert_int_equal(auth_session_get(db, NULL, &s), 0);
	assert_int_equal(auth_session_get(db, "aaaa", &s), 0);
	cookie[0] = 'A';
	assert_int_equal(auth_session_get(db, cookie, &s), 0);
	cookie[0] = 'b';
	assert_int_equal(auth_session_get(db, cookie, &s), 0);
	cookie[0] = 'a';

	/* a disabled account has no session, and the session row goes */
	assert_int_equal(sqlite3_exec(db, "UPDATE users SET disabled_us = 5 WHERE username = 'ana'",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(auth_session_get(db, cookie, &s), 0);
	assert_int_equal(sqlite3_exec(db, "UPDATE users SET disabled_us = NULL", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(auth_session_get(db, cookie, &s), 0);
	sqlite3_close(db);
}

static void test_throttle(void **state)
{
	struct web_throttle *t = throttle_new();
	const uint64_t s = US_PER_S, t0 = 1000 * s;

	(void)state;
	assert_non_null(t);
	/* AUTH_THROTTLE_FAILS attempts pass, the next waits for the window */
	for (int i = 0; i < AUTH_THROTTLE_FAILS; i++)
		assert_int_equal(throttle_attempt(t, "192.0.2.1", t0 + (uint64_t)i * s), 0);
	unsigned wait = throttle_attempt(t, "192.0.2.1", t0 + 10 * s);
	assert_int_equal(wait, AUTH_THROTTLE_WINDOW_S - 10);
	assert_int_equal(throttle_blocked(t, "192.0.2.1", t0 + 10 * s), wait);
	/* another address is not held up */
	assert_int_equal(throttle_blocked(t, "192.0.2.2", t0 + 10 * s), 0);
	assert_int_equal(throttle_attempt(t, "192.0.2.2", t0 + 10 * s), 0);
	/* the window passes */
	assert_int_equal(throttle_blocked(t, "192.0.2.1", t0 + (AUTH_THROTTLE_WINDOW_S + 1) * s), 0);
	/* failures count too, and a success (reset) forgives them */
	for (int i = 0; i < AUTH_THROTTLE_FAILS; i++)
		throttle_failed(t, "192.0.2.3", t0);
	assert_true(throttle_blocked(t, "192.0.2.3", t0 + s) > 0);
	throttle_reset(t, "192.0.2.3");
	assert_int_equal(throttle_blocked(t, "192.0.2.3", t0 + s), 0);
	throttle_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_passwords),
		cmocka_unit_test(test_setup_token),
		cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_throttle),
	};
	return cmocka_run_group_tests(tests, setup, group_teardown);
}
