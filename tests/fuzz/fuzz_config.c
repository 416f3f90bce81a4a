/*
 * fuzz_config.c - vigil.conf (config.h), read the way `vigil run` and
 * `vigil run -n` read it.
 *
 * Input: the text of a vigil.conf.
 *
 * Checked beyond "no crash": every problem printed names the file and a
 * line that exists, and config_load returns as many problems as it
 * printed; a configuration without problems keeps its lists within
 * their bounds and every string terminated.
 */
#include "fuzz.h"

#include <string.h>

#include "daemon/config.h"
#include "core/log.h"

static char path[600];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	log_set_level(LOG_LVL_ERROR);
	fuzz_path(path, sizeof path, "vigil.conf");
	return 0;
}

#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vigil_config c;
	struct fuzz_report rep;
	int n, printed;

	fuzz_write_file(path, data, size);
	fuzz_report_open(&rep);
	config_defaults(&c);
	n = config_load(&c, path, rep.f);
	fflush(rep.f);
	printed = fuzz_report_close(&rep, path, fuzz_count_lines(data, size));
	if (n != printed)
		fuzz_fail("config_load returned %d, printed %d problem(s)", n, printed);
	if (n)
		return 0;
	if (c.n_interfaces < 0 || c.n_interfaces > CONFIG_MAX_IFACES ||
	    c.n_rule_dirs < 0 || c.n_rule_dirs > CONFIG_MAX_RULE_DIRS ||
	    c.n_pcap_files < 0 || c.n_pcap_files > CONFIG_MAX_PCAP_FILES)
		fuzz_fail("lists out of bounds: %d interfaces, %d rule dirs, %d pcap files",
			  c.n_interfaces, c.n_rule_dirs, c.n_pcap_files);
	for (int i = 0; i < c.n_interfaces; i++)
		if (!TERMINATED(c.interfaces[i]) || !c.interfaces[i][0])
			fuzz_fail("interface %d empty or not terminated", i);
	for (int i = 0; i < c.n_rule_dirs; i++)
		if (!TERMINATED(c.rule_dirs[i]) || !c.rule_dirs[i][0])
			fuzz_fail("rule dir %d empty or not terminated", i);
	for (int i = 0; i < c.n_pcap_files; i++)
		if (!TERMINATED(c.pcap_files[i]) || !c.pcap_files[i][0])
			fuzz_fail("pcap file %d empty or not terminated", i);
	if (!TERMINATED(c.pcap_file) || !TERMINATED(c.home_net) || !TERMINATED(c.database) ||
	    !TERMINATED(c.eve) || !TERMINATED(c.listen) || !TERMINATED(c.static_dir) ||
	    !TERMINATED(c.user) || !TERMINATED(c.state_dir))
		fuzz_fail("a setting is not terminated");
	if (c.log_level < LOG_LVL_ERROR || c.log_level > LOG_LVL_DEBUG)
		fuzz_fail("log level %d", c.log_level);
	if (c.home.n < 1 || c.home.n > HOMENET_MAX)
		fuzz_fail("home_net with %d networks", c.home.n);
	return 0;
}
