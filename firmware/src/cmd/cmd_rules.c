/*
 * cmd_rules.c - `vigil rules check|sign|verify`: rule set directories
 * loaded as replay and the daemon load them, every problem printed; a
 * directory made into a signed bundle; a bundle verified against a public
 * key, unpacked into a temporary directory and checked as the daemon's
 * [rules_sync] would (detect/rule_bundle.h, rules/README.md).
 */
#include "cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/homenet.h"
#include "core/tarball.h"
#include "detect/rule_bundle.h"
#include "detect/ruleset.h"

#define USAGE \
	"usage: vigil rules check [--home-net CIDR,...] DIR...\n" \
	"       vigil rules sign --key KEY.pem [--version V] [--output BUNDLE.tar] DIR\n" \
	"       vigil rules verify --pubkey KEY.pub [--home-net CIDR,...] BUNDLE.tar\n"

#define BUNDLE_MAX_BYTES (64u << 20)

/* Load the sets as replay and the daemon would, print every problem as
 * file:line: reason and what was loaded. 0 when there is no problem. */
static int check_dirs(const char *home, const char *const *dirs, int n, const char *who)
{
	struct homenet hn;
	char err[256];

	if (homenet_parse(&hn, home, err, sizeof err) < 0) {
		fprintf(stderr, "vigil rules %s: --home-net: %s\n", who, err);
		return 2;
	}
	struct ruleset *rs = ruleset_load(&hn, dirs, n, stderr, NULL);
	if (!rs) {
		fprintf(stderr, "vigil rules %s: out of memory\n", who);
		return 1;
	}
	ruleset_print_summary(rs, stdout);
	int rc = ruleset_problems(rs) > 0 ? 1 : 0;
	if (rc)
		fprintf(stderr, "vigil rules %s: %d problem(s)\n", who, ruleset_problems(rs));
	ruleset_free(rs);
	return rc;
}

/* sign: check DIR, tar it, sign the tar; BUNDLE.tar and BUNDLE.tar.sig. */
static int do_sign(const char *key_file, const char *version, const char *out, const char *dir)
{
	char err[600], sig[BUNDLE_SIG_MAX], sig_path[1200], *tar = NULL;
	size_t n;
	const char *dirs[1] = { dir };
	int rc = 1;

	if (check_dirs(HOMENET_DEFAULT, dirs, 1, "sign") != 0) {
		fprintf(stderr, "vigil rules sign: %s has problems; not signed\n", dir);
		return 1;
	}
	struct tls_sign_key *key = tls_sign_key_load(key_file, 1, err, sizeof err);
	if (!key) {
		fprintf(stderr, "vigil rules sign: %s\n", err);
		return 1;
	}
	snprintf(sig_path, sizeof sig_path, "%s.sig", out);
	if (tarball_pack(dir, out, &TARBALL_RULES_LIMITS, err, sizeof err) < 0 ||
	    bundle_read_file(out, BUNDLE_MAX_BYTES, &tar, &n, err, sizeof err) < 0 ||
	    bundle_sign(key, tar, n, version, sig, sizeof sig, err, sizeof err) < 0) {
		fprintf(stderr, "vigil rules sign: %s\n", err);
		goto out;
	}
	FILE *f = fopen(sig_path, "w");
	if (!f || fputs(sig, f) == EOF || fclose(f) != 0) {
		fprintf(stderr, "vigil rules sign: %s: cannot write\n", sig_path);
		goto out;
	}
	printf("%s (%zu bytes) and %s: %s", out, n, sig_path, sig);
	rc = 0;
out:
	free(tar);
	tls_sign_key_free(key);
	return rc;
}

/* verify: the signature, the tar, its entries, then the rules in it. */
static int do_verify(const char *pub_file, const char *home, const char *bundle)
{
	char err[600], sig_path[1100], tmp[] = "/tmp/vigil-verify-XXXXXX";
	char *tar = NULL, *sig = NULL;
	size_t n, sn;
	struct bundle_sig bs;
	int rc = 1;

	struct tls_sign_key *pub = tls_sign_key_load(pub_file, 0, err, sizeof err);
	if (!pub) {
		fprintf(stderr, "vigil rules verify: %s\n", err);
		return 1;
	}
	snprintf(sig_path, sizeof sig_path, "%s.sig", bundle);
	if (bundle_read_file(bundle, BUNDLE_MAX_BYTES, &tar, &n, err, sizeof err) < 0 ||
	    bundle_read_file(sig_path, BUNDLE_SIG_MAX, &sig, &sn, err, sizeof err) < 0) {
		fprintf(stderr, "vigil rules verify: %s\n", err);
		goto out;
	}
	if (!mkdtemp(tmp)) {
		fprintf(stderr, "vigil rules verify: %s: cannot make a directory\n", tmp);
		goto out;
	}
	if (bundle_open(sig, sn, tar, n, pub, tmp, &bs, err, sizeof err) < 0) {
		fprintf(stderr, "vigil rules verify: %s: refused: %s\n", bundle, err);
	} else {
		printf("%s: signature good (key %s), version %s, signed %s\n", bundle, bs.key_id,
		       bs.version, bs.signed_at);
		const char *dirs[1] = { tmp };
		rc = check_dirs(home, dirs, 1, "verify");
	}
	tarball_remove_tree(tmp);
out:
	free(tar);
	free(sig);
	tls_sign_key_free(pub);
	return rc;
}

int cmd_rules(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home-net", required_argument, NULL, 'H' },
		{ "key", required_argument, NULL, 'k' },
		{ "pubkey", required_argument, NULL, 'p' },
		{ "version", required_argument, NULL, 'V' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *home = HOMENET_DEFAULT, *key = NULL, *pub = NULL, *version = NULL;
	const char *out = NULL, *verb;
	int c;

	if (argc < 2 || (strcmp(argv[1], "check") && strcmp(argv[1], "sign") &&
			 strcmp(argv[1], "verify"))) {
		fputs(USAGE, stderr);
		return 2;
	}
	verb = argv[1];
	argc--;
	argv++;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'H': home = optarg; break;
		case 'k': key = optarg; break;
		case 'p': pub = optarg; break;
		case 'V': version = optarg; break;
		case 'o': out = optarg; break;
		case 'h':
			printf(USAGE
			       "check: load rule set directories, report every problem as\n"
			       "  file:line: reason, print what was loaded.\n"
			       "sign: check DIR, write it as BUNDLE.tar (default DIR's name .tar) and\n"
			       "  its ECDSA P-256 signature BUNDLE.tar.sig, made with KEY.pem.\n"
			       "verify: check BUNDLE.tar.sig against KEY.pub and the tar against it,\n"
			       "  unpack it as the daemon would and check the rules in it.\n"
			       "Exit 0 when all is well, 1 otherwise.\n");
			return 0;
		default:
			fprintf(stderr, "vigil rules %s: unknown option '%s' (see --help)\n", verb,
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "vigil rules %s: no %s given\n", verb,
			strcmp(verb, "verify") ? "rule set directory" : "bundle");
		return 2;
	}
	if (strcmp(verb, "check") == 0)
		return check_dirs(home, (const char *const *)argv + optind, argc - optind, "check");
	if (optind + 1 != argc) {
		fprintf(stderr, "vigil rules %s: one %s only\n", verb,
			strcmp(verb, "verify") ? "directory" : "bundle");
		return 2;
	}
	if (strcmp(verb, "sign") == 0) {
		char def[1100], base[1024];
		if (!key) {
			fprintf(stderr, "vigil rules sign: --key KEY.pem is needed\n");
			return 2;
		}
		if (!out) {
			snprintf(base, sizeof base, "%s", argv[optind]);
			size_t l = strlen(base);
			while (l > 1 && base[l - 1] == '/')
				base[--l] = '\0';
			const char *slash = strrchr(base, '/');
			snprintf(def, sizeof def, "%s.tar", slash ? slash + 1 : base);
			out = def;
		}
		return do_sign(key, version, out, argv[optind]);
	}
	if (!pub) {
		fprintf(stderr, "vigil rules verify: --pubkey KEY.pub is needed\n");
		return 2;
	}
	return do_verify(pub, home, argv[optind]);
}
