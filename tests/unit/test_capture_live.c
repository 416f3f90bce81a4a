/*
 * test_capture_live.c - the live capture backends (capture.h) on a real
 * interface: libpcap (capture_open_live) and AF_PACKET TPACKET_V3
 * (capture_open_afpacket).
 *
 * The group setup makes a network namespace and a veth pair, vgl<pid>a
 * here and vgl<pid>b inside the namespace; the group teardown deletes
 * both again, whatever the tests did. Each test opens a backend on the
 * host end and forks a sender that joins the namespace (setns) and writes
 * crafted Ethernet frames to the peer with an AF_PACKET socket: a marker,
 * our pid and a sequence number, some of them 802.1Q or 802.1ad tagged.
 * The kernel strips such tags into packet metadata; both backends must
 * put them back so the bytes read equal the bytes sent.
 *
 * Needs root and iproute2's `ip`. Without them, under qemu-user (where
 * AF_PACKET socket options are not emulated; VIGIL_QEMU=1 or a CPU
 * architecture other than the kernel's) or where namespaces cannot be
 * made, the live tests print why and are skipped, never failed.
 *
 * test_capture_rate sends 200000 short frames as fast as it can and
 * prints what each backend read per second and what the kernel dropped;
 * nothing about the rate is asserted. VIGIL_CAPTURE_RATE_FRAMES=N
 * changes the count (0: no rate test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pcap/dlt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/resource.h>

#include "drivers/capture/capture.h"

#define TEST_ETHERTYPE  0x88B5  /* IEEE 802 local experimental */
#define MARKER          "VIGILCAP"
#define MARKER_LEN      8
#define N_FRAMES        500
#define DEADLINE_MS     5000
#define POLL_MS         100
#define RATE_FRAMES     200000
#define SNAPLEN         65535
#define MAX_FRAME       1600

static const uint8_t HOST_MAC[6] = { 0x02, 0x76, 0x67, 0x6c, 0x00, 0x01 };
static const uint8_t PEER_MAC[6] = { 0x02, 0x76, 0x67, 0x6c, 0x00, 0x02 };

/* What the group setup made (and the teardown removes). */
struct env {
	char skip[256];            /* why the live tests are skipped, "" if not */
	char ns[32];               /* network namespace vgl<pid> */
	char host_if[IFNAMSIZ];    /* vgl<pid>a, here */
	char peer_if[IFNAMSIZ];    /* vgl<pid>b, in the namespace */
	char tun_if[IFNAMSIZ];     /* vgl<pid>t, made (and closed) by test_link_types */
	char late_if[IFNAMSIZ];    /* vgl<pid>c, made and deleted by test_follow_interface */
	char late_peer[IFNAMSIZ];  /* vgl<pid>d, its peer in the namespace */
	uint32_t tag;              /* in every frame: which run sent it */
};

enum backend { BK_PCAP, BK_AFPACKET };

static const char *backend_name(enum backend b)
{
	return b == BK_PCAP ? "pcap" : "afpacket";
}

static uint64_t now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Run a shell command quietly; 0 if it exited 0. */
__attribute__((format(printf, 1, 2)))
static int run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 32, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd) - 32)
		return -1;
	strcat(cmd, " >/dev/null 2>&1");
	rc = system(cmd);
	return rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0 ? 0 : -1;
}

/* "arm" for any ARM, "x86" for any x86, else the machine name itself. */
static const char *arch_family(const char *m)
{
	if (strncmp(m, "arm", 3) == 0 || strncmp(m, "aarch64", 7) == 0)
		return "arm";
	if (strcmp(m, "x86_64") == 0 || (m[0] == 'i' && strcmp(m + 2, "86") == 0))
		return "x86";
	return m;
}

/* 1 under qemu-user: it reports the guest's machine in uname(), while the
 * kernel (/proc/sys/kernel/arch, or `uname -m` run natively) knows better.
 * 32-bit ARM userlands on 64-bit ARM kernels count as native. */
static int emulated(void)
{
	struct utsname u;
	char kernel[64] = "";
	FILE *f;

	if (uname(&u) != 0)
		return 0;
	if ((f = fopen("/proc/sys/kernel/arch", "r")) != NULL) {
		if (!fgets(kernel, sizeof(kernel), f))
			kernel[0] = '\0';
		fclose(f);
	} else if ((f = popen("uname -m 2>/dev/null", "r")) != NULL) {
		if (!fgets(kernel, sizeof(kernel), f))
			kernel[0] = '\0';
		pclose(f);
	}
	kernel[strcspn(kernel, "\r\n")] = '\0';
	return kernel[0] && strcmp(arch_family(kernel), arch_family(u.machine)) != 0;
}

/* Delete whatever setup and the tests may have made; errors ignored. */
static void env_cleanup(const struct env *e)
{
	run("ip netns del %s", e->ns);          /* takes the veth pair along */
	run("ip link del %s", e->host_if);
	run("ip link del %s", e->late_if);
}

/* Namespace + veth pair, or a reason to skip in e->skip. Never fails. */
static int group_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	unsigned pid = (unsigned)getpid();
	const char *q = getenv("VIGIL_QEMU");

	if (!e)
		return -1;
	*state = e;
	e->tag = pid;
	snprintf(e->ns, sizeof(e->ns), "vgl%u", pid);
	snprintf(e->host_if, sizeof(e->host_if), "vgl%ua", pid);
	snprintf(e->peer_if, sizeof(e->peer_if), "vgl%ub", pid);
	snprintf(e->tun_if, sizeof(e->tun_if), "vgl%ut", pid);
	snprintf(e->late_if, sizeof(e->late_if), "vgl%uc", pid);
	snprintf(e->late_peer, sizeof(e->late_peer), "vgl%ud", pid);

	if (q && strcmp(q, "1") == 0) {
		snprintf(e->skip, sizeof(e->skip), "VIGIL_QEMU=1: qemu-user emulates no AF_PACKET rings");
		return 0;
	}
	if (emulated()) {
		snprintf(e->skip, sizeof(e->skip), "running under CPU emulation (qemu-user)");
		return 0;
	}
	if (geteuid() != 0) {
		snprintf(e->skip, sizeof(e->skip), "needs root (network namespaces, CAP_NET_RAW)");
		return 0;
	}
	if (run("ip -V") != 0) {
		snprintf(e->skip, sizeof(e->skip), "no `ip` command (iproute2)");
		return 0;
	}
	if (run("ip netns add %s", e->ns) != 0) {
		snprintf(e->skip, sizeof(e->skip), "cannot create network namespace %s", e->ns);
		return 0;
	}
	if (run("ip link add %s address 02:76:67:6c:00:01 type veth peer name %s address 02:76:67:6c:00:02",
		e->host_if, e->peer_if) != 0 ||
	    run("ip link set %s netns %s", e->peer_if, e->ns) != 0) {
		snprintf(e->skip, sizeof(e->skip), "cannot create veth pair %s/%s", e->host_if, e->peer_if);
		env_cleanup(e);
		return 0;
	}
	/* keep the link quiet: no IPv6 router solicitations, DAD, MLD */
	run("sysctl -w net.ipv6.conf.%s.disable_ipv6=1", e->host_if);
	run("ip netns exec %s sysctl -w net.ipv6.conf.%s.disable_ipv6=1", e->ns, e->peer_if);
	if (run("ip link set %s up", e->host_if) != 0 ||
	    run("ip -n %s link set %s up", e->ns, e->peer_if) != 0) {
		snprintf(e->skip, sizeof(e->skip), "cannot bring up veth pair %s/%s", e->host_if, e->peer_if);
		env_cleanup(e);
		return 0;
	}
	return 0;
}

static int group_teardown(void **state)
{
	struct env *e = *state;

	if (e && !e->skip[0])
		env_cleanup(e);
	free(e);
	return 0;
}

/* Skip the calling test (printing why) when there is no test network. */
#define NEED_ENV(e) do { \
	if ((e)->skip[0]) { \
		print_message("skipped: %s\n", (e)->skip); \
		skip(); \
	} \
} while (0)

/* ---- frames ------------------------------------------------------------- */

/* Frame seq of run tag into buf; returns its length. Every fifth frame is
 * 802.1Q tagged, every tenth (another) one 802.1ad; varied sizes unless
 * short_only (then minimal 60-byte frames). */
static size_t make_frame(uint8_t *buf, uint32_t tag, uint32_t seq, int short_only)
{
	size_t len = short_only ? 60 : 60 + (seq * 131u) % 1400u;
	size_t off = 12, i;
	uint16_t tpid = 0;

	memcpy(buf, HOST_MAC, 6);
	memcpy(buf + 6, PEER_MAC, 6);
	if (seq % 5 == 3)
		tpid = 0x8100;
	else if (seq % 10 == 6)
		tpid = 0x88a8;
	if (tpid) {
		uint16_t tci = (uint16_t)(((seq % 8u) << 13) | ((seq * 7u) % 4095u));
		buf[off++] = (uint8_t)(tpid >> 8);
		buf[off++] = (uint8_t)tpid;
		buf[off++] = (uint8_t)(tci >> 8);
		buf[off++] = (uint8_t)tci;
		len += 4;
	}
	buf[off++] = TEST_ETHERTYPE >> 8;
	buf[off++] = TEST_ETHERTYPE & 0xff;
	memcpy(buf + off, MARKER, MARKER_LEN);
	off += MARKER_LEN;
	buf[off++] = (uint8_t)(tag >> 24);
	buf[off++] = (uint8_t)(tag >> 16);
	buf[off++] = (uint8_t)(tag >> 8);
	buf[off++] = (uint8_t)tag;
	buf[off++] = (uint8_t)(seq >> 24);
	buf[off++] = (uint8_t)(seq >> 16);
	buf[off++] = (uint8_t)(seq >> 8);
	buf[off++] = (uint8_t)seq;
	for (i = off; i < len; i++)
		buf[i] = (uint8_t)(seq + i);
	return len;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* 1 and *seq if pkt is one of our frames of run tag (tags in place). */
static int parse_frame(const struct cap_packet *pkt, uint32_t tag, uint32_t *seq)
{
	const uint8_t *p = pkt->data;
	size_t off = 12;
	unsigned type;

	if (pkt->caplen < 18)
		return 0;
	type = (unsigned)p[12] << 8 | p[13];
	if (type == 0x8100 || type == 0x88a8)
		off += 4;
	if (pkt->caplen < off + 2 + MARKER_LEN + 8)
		return 0;
	type = (unsigned)p[off] << 8 | p[off + 1];
	off += 2;
	if (type != TEST_ETHERTYPE || memcmp(p + off, MARKER, MARKER_LEN) != 0 ||
	    be32(p + off + MARKER_LEN) != tag)
		return 0;
	*seq = be32(p + off + MARKER_LEN + 4);
	return 1;
}

/* ---- sender ------------------------------------------------------------- */

/* The child: join namespace ns, send count frames out of ifname as fast as
 * the kernel takes them (retrying when it is out of buffers), exit 0. */
static int sender_main(const char *ns, const char *ifname, uint32_t tag,
		       uint32_t count, int short_only)
{
	enum { BATCH = 64 };
	static uint8_t frames[BATCH][MAX_FRAME];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll to;
	char path[96];
	cpu_set_t cpus;
	int cpu = sched_getcpu();
	int nsfd, fd;
	uint32_t seq = 0;
	unsigned retries = 0;

	/* one CPU: frames from two CPUs' backlogs could be reordered */
	if (cpu >= 0) {
		CPU_ZERO(&cpus);
		CPU_SET(cpu, &cpus);
		sched_setaffinity(0, sizeof(cpus), &cpus);
	}
	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0)
		return 2;
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		return 3;
	memset(&to, 0, sizeof(to));
	to.sll_family = AF_PACKET;
	to.sll_ifindex = (int)if_nametoindex(ifname);
	to.sll_halen = 6;
	memcpy(to.sll_addr, HOST_MAC, 6);
	if (to.sll_ifindex == 0)
		return 4;

	while (seq < count) {
		unsigned n = count - seq < BATCH ? count - seq : BATCH, i;
		int sent;

		for (i = 0; i < n; i++) {
			iov[i].iov_base = frames[i];
			iov[i].iov_len = make_frame(frames[i], tag, seq + i, short_only);
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_name = &to;
			msgs[i].msg_hdr.msg_namelen = sizeof(to);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		sent = sendmmsg(fd, msgs, n, 0);
		if (sent < 0) {
			if ((errno != ENOBUFS && errno != EAGAIN && errno != EINTR) ||
			    ++retries > 1000000)
				return 5;
			sched_yield();
			continue;
		}
		seq += (uint32_t)sent;
	}
	close(fd);
	return 0;
}

/* Fork a sender; its pid. */
static pid_t start_sender(const struct env *e, uint32_t count, int short_only)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(sender_main(e->ns, e->peer_if, e->tag, count, short_only));
	return pid;
}

/* Wait for the sender; its exit status (or -1). */
static int wait_sender(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- the tests ---------------------------------------------------------- */

static struct capture *open_backend(const struct env *e, enum backend b, unsigned ring_mb)
{
	char err[256] = "";
	struct capture *c;

	if (b == BK_PCAP)
		c = capture_open_live(e->host_if, SNAPLEN, POLL_MS, err, sizeof(err));
	else
		c = capture_open_afpacket(e->host_if, ring_mb, SNAPLEN, POLL_MS, err, sizeof(err));
	if (!c)
		fail_msg("%s: open %s: %s", backend_name(b), e->host_if, err);
	assert_int_equal(c->linktype, DLT_EN10MB);
	return c;
}

/* N frames in, N frames out: once each, in order, the bytes sent (tags
 * included), sane timestamps; then a timeout when idle; then stats. */
static void check_backend(const struct env *e, enum backend b)
{
	struct capture *c = open_backend(e, b, 4);
	struct capture_stats st;
	struct cap_packet pkt;
	uint8_t want[MAX_FRAME];
	uint64_t start_us = now_us(), last_ts = 0, deadline = mono_ms() + DEADLINE_MS;
	uint32_t seen = 0, seq, tagged = 0, noise = 0;
	int rc, got_timeout = 0;
	pid_t sender = start_sender(e, N_FRAMES, 0);

	while (seen < N_FRAMES && mono_ms() < deadline) {
		size_t len;
		int is_tagged;

		rc = capture_next(c, &pkt);
		if (rc == CAPTURE_TIMEOUT)
			continue;
		if (rc != CAPTURE_PACKET)
			fail_msg("%s: capture_next: %d (%s)", backend_name(b), rc, capture_error(c));
		if (!parse_frame(&pkt, e->tag, &seq)) {
			noise++;
			continue;
		}
		if (seq != seen)
			fail_msg("%s: frame %u arrived when %u was due", backend_name(b), seq, seen);
		len = make_frame(want, e->tag, seq, 0);
		assert_int_equal(pkt.caplen, len);
		assert_int_equal(pkt.wirelen, len);
		is_tagged = (want[12] == 0x81 && want[13] == 0x00) ||
			    (want[12] == 0x88 && want[13] == 0xa8);
		if (memcmp(pkt.data, want, len) != 0)
			fail_msg("%s: frame %u differs from what was sent%s", backend_name(b), seq,
				 is_tagged ? " (VLAN tagged)" : "");
		tagged += is_tagged;
		assert_true(pkt.ts_us >= last_ts);
		assert_true(pkt.ts_us + 1000000 >= start_us);
		assert_true(pkt.ts_us <= now_us() + 1000000);
		last_ts = pkt.ts_us;
		seen++;
	}
	assert_int_equal(wait_sender(sender), 0);
	if (seen != N_FRAMES)
		fail_msg("%s: %u of %u frames within %d ms", backend_name(b), seen, N_FRAMES, DEADLINE_MS);
	assert_int_equal(tagged, N_FRAMES / 5 + N_FRAMES / 10);

	/* idle: a timeout within the poll time (plus slack), no duplicates */
	deadline = mono_ms() + 3000;
	while (!got_timeout && mono_ms() < deadline) {
		uint64_t t0 = mono_ms();

		rc = capture_next(c, &pkt);
		if (rc == CAPTURE_TIMEOUT) {
			assert_true(mono_ms() - t0 <= POLL_MS + 1000);
			got_timeout = 1;
		} else {
			assert_int_equal(rc, CAPTURE_PACKET);
			if (parse_frame(&pkt, e->tag, &seq))
				fail_msg("%s: frame %u seen twice", backend_name(b), seq);
			noise++;
		}
	}
	assert_true(got_timeout);

	capture_get_stats(c, &st);
	assert_true(st.packets >= N_FRAMES);
	assert_true(st.bytes > 0);
	print_message("%s: %u frames (%u tagged) in order, %u others; stats: %llu packets, %llu kernel drops\n",
		      backend_name(b), seen, tagged, noise, (unsigned long long)st.packets,
		      (unsigned long long)st.kernel_drops);
	capture_close(c);
}

static void test_live_pcap(void **state)
{
	struct env *e = *state;

	NEED_ENV(e);
	check_backend(e, BK_PCAP);
}

static void test_live_afpacket(void **state)
{
	struct env *e = *state;

	NEED_ENV(e);
	assert_int_equal(capture_afpacket_available(), 1);
	check_backend(e, BK_AFPACKET);
}

/* A small snaplen keeps that many bytes of each frame (the BPF filter the
 * backend attaches), plus the 4 tag bytes it puts back, as libpcap does;
 * wirelen stays the frame's length. */
static void test_afpacket_snaplen(void **state)
{
	enum { SNAP = 64, COUNT = 50 };
	struct env *e = *state;
	char err[256] = "";
	struct capture *c;
	struct cap_packet pkt;
	uint8_t want[MAX_FRAME];
	uint64_t deadline = mono_ms() + DEADLINE_MS;
	uint32_t seen = 0, seq;
	pid_t sender;

	NEED_ENV(e);
	c = capture_open_afpacket(e->host_if, 1, SNAP, POLL_MS, err, sizeof(err));
	if (!c)
		fail_msg("%s", err);
	sender = start_sender(e, COUNT, 0);
	while (seen < COUNT && mono_ms() < deadline) {
		size_t len, keep;
		int rc = capture_next(c, &pkt);

		if (rc == CAPTURE_TIMEOUT)
			continue;
		assert_int_equal(rc, CAPTURE_PACKET);
		if (!parse_frame(&pkt, e->tag, &seq))
			continue;
		assert_int_equal(seq, seen);
		len = make_frame(want, e->tag, seq, 0);
		if ((want[12] == 0x81 && want[13] == 0x00) || (want[12] == 0x88 && want[13] == 0xa8))
			keep = (len - 4 < SNAP ? len - 4 : SNAP) + 4;
		else
			keep = len < SNAP ? len : SNAP;
		assert_int_equal(pkt.caplen, keep);
		assert_int_equal(pkt.wirelen, len);
		assert_memory_equal(pkt.data, want, keep);
		seen++;
	}
	assert_int_equal(wait_sender(sender), 0);
	assert_int_equal(seen, COUNT);
	capture_close(c);
}

/* A 1 MiB ring nobody reads overflows: what was read plus the kernel's
 * drop count is what was sent, and the drop count is a running total
 * (the kernel resets its own on each read). */
static void test_afpacket_drops(void **state)
{
	enum { COUNT = 20000 };
	struct env *e = *state;
	char err[256] = "";
	struct capture *c;
	struct capture_stats st1, st2;
	struct cap_packet pkt;
	uint32_t seen = 0, seq, last = 0;
	int rc;

	NEED_ENV(e);
	c = capture_open_afpacket(e->host_if, 1, SNAPLEN, POLL_MS, err, sizeof(err));
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(wait_sender(start_sender(e, COUNT, 0)), 0);
	capture_get_stats(c, &st1);
	capture_get_stats(c, &st2);
	assert_true(st1.kernel_drops > 0);
	assert_int_equal(st2.kernel_drops, st1.kernel_drops);
	while ((rc = capture_next(c, &pkt)) == CAPTURE_PACKET) {
		if (!parse_frame(&pkt, e->tag, &seq))
			continue;
		assert_true(seen == 0 || seq > last);
		last = seq;
		seen++;
	}
	assert_int_equal(rc, CAPTURE_TIMEOUT);
	capture_get_stats(c, &st2);
	print_message("1 MiB ring, %u frames sent unread: %u read, %llu dropped\n",
		      COUNT, seen, (unsigned long long)st2.kernel_drops);
	assert_int_equal(seen + st2.kernel_drops, COUNT);
	assert_int_equal(st2.packets, seen);
	capture_close(c);
}

/* Nonexistent, unnamed and overlong interfaces: NULL and a message that
 * names the interface. Needs neither root nor a test network. */
static void test_open_errors(void **state)
{
	const char *name = "vglnosuch0";
	char err[256];
	struct capture *c;

	(void)state;
	assert_int_equal(capture_afpacket_available(), 1);
	err[0] = '\0';
	c = capture_open_afpacket(name, 4, SNAPLEN, POLL_MS, err, sizeof(err));
	assert_null(c);
	assert_string_equal(err, "vglnosuch0: no such interface");

	err[0] = '\0';
	c = capture_open_live(name, SNAPLEN, POLL_MS, err, sizeof(err));
	assert_null(c);
	assert_non_null(strstr(err, name));

	err[0] = '\0';
	assert_null(capture_open_afpacket("vgl-much-too-long-a-name", 4, 0, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "vgl-much-too-long-a-name"));
	err[0] = '\0';
	assert_null(capture_open_afpacket("", 4, 0, 0, err, sizeof(err)));
	assert_true(err[0] != '\0');
	assert_null(capture_open_afpacket(name, 4, 0, 0, NULL, 0));
}

/* A tun device named name whose link type is arphrd (TUNSETLINK), gone
 * again when the returned fd is closed; -1 if tun is not available. */
static int make_tun(const char *name, unsigned short arphrd)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) != 0 ||
	    (arphrd != ARPHRD_NONE && ioctl(fd, TUNSETLINK, (unsigned long)arphrd) != 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Link types: loopback frames have Ethernet headers; tun delivers raw IP;
 * a PPP device is refused with its type named. */
static void test_link_types(void **state)
{
	struct env *e = *state;
	char err[256] = "";
	struct capture *c;
	int tun;

	NEED_ENV(e);
	c = capture_open_afpacket("lo", 1, 0, POLL_MS, err, sizeof(err));
	if (!c)
		fail_msg("lo: %s", err);
	assert_int_equal(c->linktype, DLT_EN10MB);
	capture_close(c);

	tun = make_tun(e->tun_if, ARPHRD_NONE);
	if (tun < 0) {
		print_message("tun and ppp link types not checked: no /dev/net/tun\n");
		return;
	}
	c = capture_open_afpacket(e->tun_if, 1, 0, POLL_MS, err, sizeof(err));
	close(tun);
	if (!c)
		fail_msg("%s: %s", e->tun_if, err);
	assert_int_equal(c->linktype, DLT_RAW);
	capture_close(c);

	tun = make_tun(e->tun_if, ARPHRD_PPP);
	assert_true(tun >= 0);
	err[0] = '\0';
	c = capture_open_afpacket(e->tun_if, 1, 0, POLL_MS, err, sizeof(err));
	close(tun);
	assert_null(c);
	if (!strstr(err, e->tun_if) || !strstr(err, "ppp"))
		fail_msg("unexpected error for a ppp device: %s", err);
	print_message("ppp device refused: %s\n", err);
}

/* An interface taken down under a reader: capture_next() says so (after
 * handing out what was already in the ring) instead of waiting forever. */
static void test_afpacket_link_down(void **state)
{
	struct env *e = *state;
	char err[256] = "";
	struct capture *c;
	struct cap_packet pkt;
	uint64_t deadline;
	int rc = CAPTURE_TIMEOUT, down;

	NEED_ENV(e);
	c = capture_open_afpacket(e->host_if, 1, 0, POLL_MS, err, sizeof(err));
	if (!c)
		fail_msg("%s", err);
	down = run("ip link set %s down", e->host_if);
	deadline = mono_ms() + 3000;
	while (down == 0 && mono_ms() < deadline &&
	       (rc == CAPTURE_TIMEOUT || rc == CAPTURE_PACKET))
		rc = capture_next(c, &pkt);
	snprintf(err, sizeof(err), "%s", capture_error(c));
	capture_close(c);
	/* back up before any assertion, for the tests after this one */
	assert_int_equal(run("ip link set %s up", e->host_if), 0);
	assert_int_equal(down, 0);
	assert_int_equal(rc, CAPTURE_ERROR);
	assert_non_null(strstr(err, e->host_if));
	assert_non_null(strstr(err, "went down"));
}

/* The late veth pair: late_if here, late_peer in the namespace, both up. */
static int make_late_pair(const struct env *e)
{
	return run("ip link add %s type veth peer name %s", e->late_if, e->late_peer) ||
	       run("ip link set %s netns %s", e->late_peer, e->ns) ||
	       run("sysctl -w net.ipv6.conf.%s.disable_ipv6=1", e->late_if) ||
	       run("ip link set %s up", e->late_if) ||
	       run("ip -n %s link set %s up", e->ns, e->late_peer) ? -1 : 0;
}

/* Send count short frames from the late peer and read them on c: how many
 * of ours arrived within DEADLINE_MS. */
static uint32_t late_round(const struct env *e, struct capture *c, uint32_t count)
{
	struct cap_packet pkt;
	uint64_t deadline = mono_ms() + DEADLINE_MS;
	uint32_t seen = 0, seq;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(sender_main(e->ns, e->late_peer, e->tag, count, 1));
	assert_int_equal(wait_sender(pid), 0);
	while (seen < count && mono_ms() < deadline) {
		int rc = capture_next(c, &pkt);
		if (rc == CAPTURE_PACKET && parse_frame(&pkt, e->tag, &seq))
			seen++;
		else if (rc == CAPTURE_ERROR || rc == CAPTURE_EOF)
			break;
	}
	return seen;
}

/* A source made before its interface exists follows it: missing, then
 * bound once it is made (no privilege needed for that), the interface
 * deleted (capture_next says so, attach says missing), made again with
 * a new index (bound again, frames flow), set down (attach says down). */
static void test_follow_interface(void **state)
{
	struct env *e = *state;
	char err[256] = "";
	struct capture *c;
	struct cap_packet pkt;
	uint64_t deadline;
	int rc;

	NEED_ENV(e);
	run("ip link del %s", e->late_if);
	c = capture_prepare_afpacket(e->late_if, 1, SNAPLEN, POLL_MS, err, sizeof(err));
	if (!c)
		fail_msg("prepare %s: %s", e->late_if, err);
	assert_int_equal(capture_attach(c, err, sizeof(err)), CAPTURE_LINK_MISSING);
	assert_non_null(strstr(err, "no such interface"));

	assert_int_equal(make_late_pair(e), 0);
	assert_int_equal(capture_attach(c, err, sizeof(err)), CAPTURE_LINK_UP);
	assert_int_equal(c->linktype, DLT_EN10MB);
	assert_int_equal(late_round(e, c, 50), 50);

	assert_int_equal(run("ip link del %s", e->late_if), 0);
	deadline = mono_ms() + 3000;
	do
		rc = capture_next(c, &pkt);
	while ((rc == CAPTURE_TIMEOUT || rc == CAPTURE_PACKET) && mono_ms() < deadline);
	assert_int_equal(rc, CAPTURE_ERROR);
	assert_int_equal(capture_attach(c, err, sizeof(err)), CAPTURE_LINK_MISSING);

	assert_int_equal(make_late_pair(e), 0);
	assert_int_equal(capture_attach(c, err, sizeof(err)), CAPTURE_LINK_UP);
	assert_int_equal(late_round(e, c, 50), 50);

	assert_int_equal(run("ip link set %s down", e->late_if), 0);
	assert_int_equal(capture_attach(c, err, sizeof(err)), CAPTURE_LINK_DOWN);
	assert_non_null(strstr(err, "down"));
	capture_close(c);
	run("ip link del %s", e->late_if);

	/* a libpcap source cannot follow an interface */
	c = capture_open_live(e->host_if, SNAPLEN, POLL_MS, err, sizeof(err));
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(capture_attach(c, err, sizeof(err)), CAPTURE_LINK_ERROR);
	capture_close(c);
}

/* Throughput: count short frames sent at full speed; print what each
 * backend read per second and what the kernel dropped. */
/* CPU time this process has used, in microseconds. */
static uint64_t cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static void measure_rate(const struct env *e, enum backend b, uint32_t count)
{
	struct capture *c = open_backend(e, b, 16);
	struct capture_stats st;
	struct cap_packet pkt;
	uint64_t t0 = mono_ms(), first = 0, last = 0, idle_since = 0, cpu0 = cpu_us(), cpu;
	uint32_t seen = 0, seq, out_of_order = 0, expect = 0;
	int sender_rc = -1, rc;
	pid_t sender = start_sender(e, count, 1);

	for (;;) {
		rc = capture_next(c, &pkt);
		if (rc == CAPTURE_PACKET && parse_frame(&pkt, e->tag, &seq)) {
			last = mono_ms();
			if (!seen)
				first = last;
			if (seq < expect)
				out_of_order++;
			expect = seq + 1;
			idle_since = 0;
			if (++seen == count)
				break;
			continue;
		}
		if (rc != CAPTURE_PACKET && rc != CAPTURE_TIMEOUT)
			fail_msg("%s: capture_next: %d (%s)", backend_name(b), rc, capture_error(c));
		if (sender_rc < 0 && waitpid(sender, NULL, WNOHANG) == sender)
			sender_rc = 0;
		/* the sender is done and nothing more came for a second */
		if (rc == CAPTURE_TIMEOUT && sender_rc >= 0) {
			if (!idle_since)
				idle_since = mono_ms();
			else if (mono_ms() - idle_since > 1000)
				break;
		}
		if (mono_ms() - t0 > 60000)
			break;
	}
	cpu = cpu_us() - cpu0;
	if (sender_rc < 0)
		wait_sender(sender);
	capture_get_stats(c, &st);
	print_message("rate %-8s: %u of %u frames in %.3f s = %.0f frames/s; kernel drops %llu; "
		      "reader CPU %.2f us/frame%s\n",
		      backend_name(b), seen, count, (double)(last - first) / 1000.0,
		      last > first ? seen * 1000.0 / (double)(last - first) : 0.0,
		      (unsigned long long)st.kernel_drops, seen ? (double)cpu / seen : 0.0,
		      out_of_order ? " (some out of order)" : "");
	capture_close(c);
}

static void test_capture_rate(void **state)
{
	struct env *e = *state;
	const char *n = getenv("VIGIL_CAPTURE_RATE_FRAMES");
	uint32_t count = n ? (uint32_t)strtoul(n, NULL, 10) : RATE_FRAMES;

	NEED_ENV(e);
	if (count == 0) {
		print_message("skipped: VIGIL_CAPTURE_RATE_FRAMES=0\n");
		skip();
	}
	measure_rate(e, BK_PCAP, count);
	measure_rate(e, BK_AFPACKET, count);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_live_pcap),
		cmocka_unit_test(test_live_afpacket),
		cmocka_unit_test(test_afpacket_snaplen),
		cmocka_unit_test(test_afpacket_drops),
		cmocka_unit_test(test_link_types),
		cmocka_unit_test(test_afpacket_link_down),
		cmocka_unit_test(test_follow_interface),
		cmocka_unit_test(test_capture_rate),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
