/*
 * tls_client.c - TLS client connections on mbedTLS (see tls_client.h).
 *
 * The socket is ours, not mbedTLS's net layer: we connect it with a
 * deadline (non-blocking connect + poll), speak HTTP CONNECT to a proxy on
 * it in the clear, and only then hand it to mbedTLS through two small I/O
 * callbacks that wait with poll, so every read and write has a timeout and
 * a peer that accepts TCP and never answers costs one timeout, not a hang.
 *
 * Verification is mbedTLS's (chain to the configured CA bundle, validity
 * dates, host name against subjectAltName/CN) plus an optional pin: the
 * base64 SHA-256 of the server's SubjectPublicKeyInfo, the form HPKP and
 * `openssl ... | openssl dgst -sha256 -binary | base64` produce. A pin
 * narrows the CA check; it never replaces it.
 */
#include "tls_client.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "tls_hash.h"

#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

struct tls_client {
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca;
	mbedtls_x509_crt cert;
	mbedtls_pk_context key;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	char pin[64];
	char proxy_host[256], proxy_port[16];
	int connect_timeout_ms, io_timeout_ms;
};

struct tls_conn {
	mbedtls_ssl_context ssl;
	int fd;
	int timeout_ms;       /* of the next wait in the I/O callbacks */
	int sys_errno;        /* the last socket error, for the message */
	int timed_out;
	unsigned long long sent;  /* bytes the socket took */
};

/* mbedTLS's text for an error code. */
static const char *tls_strerror(int rc, char *buf, size_t len)
{
	mbedtls_strerror(rc, buf, len);
	return buf;
}

/* Load CA, certificate and key into c (shared by _new and _check). */
static int load_files(struct tls_client *c, const struct tls_client_config *cfg,
		      char *why, size_t whylen)
{
	char eb[160];
	int rc;

	if (!cfg->ca_file || !cfg->ca_file[0]) {
		snprintf(why, whylen, "no CA bundle (ca =) to verify the server with");
		return -1;
	}
	if ((rc = mbedtls_x509_crt_parse_file(&c->ca, cfg->ca_file)) != 0) {
		snprintf(why, whylen, "ca %s: %s", cfg->ca_file,
			 rc == MBEDTLS_ERR_PK_FILE_IO_ERROR ? "cannot read the file"
			 : rc > 0 ? "some certificates do not parse" : tls_strerror(rc, eb, sizeof eb));
		return -1;
	}
	if ((cfg->cert_file && cfg->cert_file[0]) != (cfg->key_file && cfg->key_file[0])) {
		snprintf(why, whylen, "cert and key go together: set both or neither");
		return -1;
	}
	if (cfg->cert_file && cfg->cert_file[0]) {
		if ((rc = mbedtls_x509_crt_parse_file(&c->cert, cfg->cert_file)) != 0) {
			snprintf(why, whylen, "cert %s: %s", cfg->cert_file,
				 rc == MBEDTLS_ERR_PK_FILE_IO_ERROR ? "cannot read the file"
				 : tls_strerror(rc, eb, sizeof eb));
			return -1;
		}
#if MBEDTLS_VERSION_MAJOR >= 3
		rc = mbedtls_pk_parse_keyfile(&c->key, cfg->key_file, NULL,
					      mbedtls_ctr_drbg_random, &c->drbg);
#else
		rc = mbedtls_pk_parse_keyfile(&c->key, cfg->key_file, NULL);
#endif
		if (rc != 0) {
			snprintf(why, whylen, "key %s: %s", cfg->key_file,
				 rc == MBEDTLS_ERR_PK_FILE_IO_ERROR ? "cannot read the file"
				 : rc == MBEDTLS_ERR_PK_PASSWORD_REQUIRED ? "encrypted keys are not supported"
				 : tls_strerror(rc, eb, sizeof eb));
			return -1;
		}
	}
	if (cfg->pin && cfg->pin[0]) {
		unsigned char raw[64];
		size_t n = 0;
		if (mbedtls_base64_decode(raw, sizeof raw, &n, (const unsigned char *)cfg->pin,
					  strlen(cfg->pin)) != 0 || n != 32) {
			snprintf(why, whylen, "pin: expected the base64 SHA-256 of the server's "
				 "public key (44 characters), got '%s'", cfg->pin);
			return -1;
		}
	}
	if (cfg->proxy && cfg->proxy[0]) {
		const char *colon = strrchr(cfg->proxy, ':');
		if (!colon || colon == cfg->proxy || !colon[1] ||
		    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
		    (size_t)(colon - cfg->proxy) >= sizeof c->proxy_host) {
			snprintf(why, whylen, "proxy: expected host:port, got '%s'", cfg->proxy);
			return -1;
		}
	}
	return 0;
}

static void client_init(struct tls_client *c)
{
	mbedtls_ssl_config_init(&c->conf);
	mbedtls_x509_crt_init(&c->ca);
	mbedtls_x509_crt_init(&c->cert);
	mbedtls_pk_init(&c->key);
	mbedtls_entropy_init(&c->entropy);
	mbedtls_ctr_drbg_init(&c->drbg);
}

void tls_client_free(struct tls_client *c)
{
	if (!c)
		return;
	mbedtls_ssl_config_free(&c->conf);
	mbedtls_x509_crt_free(&c->ca);
	mbedtls_x509_crt_free(&c->cert);
	mbedtls_pk_free(&c->key);
	mbedtls_ctr_drbg_free(&c->drbg);
	mbedtls_entropy_free(&c->entropy);
	free(c);
}

int tls_client_check_line(const char *why, const struct tls_client_lines *l)
{
	if (strncmp(why, "cert", 4) == 0 && l->cert)
		return l->cert;
	if (strncmp(why, "key", 3) == 0 && l->key)
		return l->key;
	if (strncmp(why, "pin", 3) == 0)
		return l->pin;
	if (strncmp(why, "proxy", 5) == 0)
		return l->proxy;
	return l->ca ? l->ca : l->section;
}

int tls_client_check(const struct tls_client_config *cfg, char *why, size_t whylen)
{
	struct tls_client *c = calloc(1, sizeof *c);
	int rc;

	if (!c) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	client_init(c);
	rc = mbedtls_ctr_drbg_seed(&c->drbg, mbedtls_entropy_func, &c->entropy,
				   (const unsigned char *)"vigil-check", 11) == 0
		? load_files(c, cfg, why, whylen) : -1;
	if (rc < 0 && !why[0])
		snprintf(why, whylen, "cannot seed the random generator");
	tls_client_free(c);
	return rc;
}

struct tls_client *tls_client_new(const struct tls_client_config *cfg, char *err, size_t errlen)
{
	struct tls_client *c = calloc(1, sizeof *c);
	char eb[160];
	int rc;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	client_init(c);
	if ((rc = mbedtls_ctr_drbg_seed(&c->drbg, mbedtls_entropy_func, &c->entropy,
					(const unsigned char *)"vigil-uplink", 12)) != 0) {
		snprintf(err, errlen, "random generator: %s", tls_strerror(rc, eb, sizeof eb));
		goto fail;
	}
	if (load_files(c, cfg, err, errlen) < 0)
		goto fail;
	if (cfg->pin)
		snprintf(c->pin, sizeof c->pin, "%s", cfg->pin);
	if (cfg->proxy && cfg->proxy[0]) {
		const char *colon = strrchr(cfg->proxy, ':');
		snprintf(c->proxy_host, sizeof c->proxy_host, "%.*s", (int)(colon - cfg->proxy),
			 cfg->proxy);
		snprintf(c->proxy_port, sizeof c->proxy_port, "%s", colon + 1);
	}
	c->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 10000;
	c->io_timeout_ms = cfg->io_timeout_ms > 0 ? cfg->io_timeout_ms : 30000;
	if ((rc = mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT,
					      MBEDTLS_SSL_TRANSPORT_STREAM,
					      MBEDTLS_SSL_PRESET_DEFAULT)) != 0) {
		snprintf(err, errlen, "TLS setup: %s", tls_strerror(rc, eb, sizeof eb));
		goto fail;
	}
	/* TLS 1.2 at least (3.3); mbedTLS 2.28 speaks nothing newer */
	mbedtls_ssl_conf_min_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
	mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &c->drbg);
	if (cfg->cert_file && cfg->cert_file[0] &&
	    (rc = mbedtls_ssl_conf_own_cert(&c->conf, &c->cert, &c->key)) != 0) {
		snprintf(err, errlen, "cert %s and key %s: %s", cfg->cert_file, cfg->key_file,
			 tls_strerror(rc, eb, sizeof eb));
		goto fail;
	}
	return c;
fail:
	tls_client_free(c);
	return NULL;
}

/* ---- TCP ------------------------------------------------------------------ */

/* Wait for events on fd until deadline (mono ms). 1 ready, 0 timeout, -1 error. */
static int wait_fd(int fd, short events, double deadline)
{
	for (;;) {
		double left = deadline - mono_ms();
		struct pollfd p = { .fd = fd, .events = events };
		if (left < 0)
			left = 0;
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* A non-blocking TCP connection to host:port within the deadline. */
static int tcp_connect(const char *host, const char *port, double deadline,
		       char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	int rc, fd = -1;

	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	snprintf(err, errlen, "%s:%s: no address", host, port);
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			snprintf(err, errlen, "socket: %s", strerror(errno));
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			int w = wait_fd(fd, POLLOUT, deadline), soerr = 0;
			socklen_t sl = sizeof soerr;
			if (w > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && !soerr)
				break;
			snprintf(err, errlen, "connect to %s:%s: %s", host, port,
				 w == 0 ? "timed out" : strerror(soerr ? soerr : errno));
		} else {
			snprintf(err, errlen, "connect to %s:%s: %s", host, port, strerror(errno));
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Ask the proxy on fd for a tunnel to host:port (HTTP CONNECT). */
static int proxy_connect(int fd, const char *proxy, const char *host, const char *port,
			 double deadline, char *err, size_t errlen)
{
	char req[700], resp[4096];
	size_t got = 0;
	int n = snprintf(req, sizeof req, "CONNECT %s:%s HTTP/1.1\r\nHost: %s:%s\r\n\r\n",
			 host, port, host, port);

	for (int off = 0; off < n;) {
		if (wait_fd(fd, POLLOUT, deadline) <= 0) {
			snprintf(err, errlen, "proxy %s: timed out", proxy);
			return -1;
		}
		ssize_t w = send(fd, req + off, (size_t)(n - off), MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(err, errlen, "proxy %s: %s", proxy, strerror(errno));
			return -1;
		}
		if (w > 0)
			off += (int)w;
	}
	/* read the answer byte by byte up to its blank line: nothing of the
	 * tunnel behind it may be swallowed */
	while (got < sizeof resp - 1) {
		if (wait_fd(fd, POLLIN, deadline) <= 0) {
			snprintf(err, errlen, "proxy %s: no answer to CONNECT (timed out)", proxy);
			return -1;
		}
		ssize_t r = recv(fd, resp + got, 1, 0);
		if (r == 0) {
			snprintf(err, errlen, "proxy %s: closed the connection on CONNECT", proxy);
			return -1;
		}
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			snprintf(err, errlen, "proxy %s: %s", proxy, strerror(errno));
			return -1;
		}
		got++;
		resp[got] = '\0';
		if (got >= 4 && memcmp(resp + got - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	resp[strcspn(resp, "\r\n")] = '\0';
	if (strncmp(resp, "HTTP/1.", 7) != 0 || strlen(resp) < 12 || strncmp(resp + 9, "200", 3) != 0) {
		snprintf(err, errlen, "proxy %s refused the tunnel to %s:%s: %.200s", proxy, host,
			 port, resp);
		return -1;
	}
	return 0;
}

/* ---- mbedTLS I/O callbacks -------------------------------------------------- */

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct tls_conn *t = ctx;
	double deadline = mono_ms() + t->timeout_ms;

	for (;;) {
		ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL);
		if (n >= 0) {
			t->sent += (unsigned long long)n;
			return (int)n;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			t->sys_errno = errno;
			return MBEDTLS_ERR_NET_SEND_FAILED;
		}
		int w = wait_fd(t->fd, POLLOUT, deadline);
		if (w <= 0) {
			t->timed_out = w == 0;
			t->sys_errno = w == 0 ? ETIMEDOUT : errno;
			return MBEDTLS_ERR_NET_SEND_FAILED;
		}
	}
}

static int bio_recv_timeout(void *ctx, unsigned char *buf, size_t len, uint32_t unused)
{
	struct tls_conn *t = ctx;
	double deadline = mono_ms() + t->timeout_ms;

	(void)unused;
	for (;;) {
		ssize_t n = recv(t->fd, buf, len, 0);
		if (n >= 0)
			return (int)n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			t->sys_errno = errno;
			return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
		}
		int w = wait_fd(t->fd, POLLIN, deadline);
		if (w == 0) {
			t->timed_out = 1;
			return MBEDTLS_ERR_SSL_TIMEOUT;
		}
		if (w < 0) {
			t->sys_errno = errno;
			return MBEDTLS_ERR_NET_RECV_FAILED;
		}
	}
}

/* ---- connect ------------------------------------------------------------------- */

/* The reason a handshake failed, in the words an operator acts on. */
static void handshake_error(struct tls_conn *t, int rc, const char *host, char *err, size_t errlen)
{
	char eb[160];

	if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
		uint32_t f = mbedtls_ssl_get_verify_result(&t->ssl);
		if (f & MBEDTLS_X509_BADCERT_EXPIRED)
			snprintf(err, errlen, "server certificate expired");
		else if (f & MBEDTLS_X509_BADCERT_FUTURE)
			snprintf(err, errlen, "server certificate not valid yet (check the clock)");
		else if (f & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
			snprintf(err, errlen, "server certificate not trusted (not signed by the "
				 "configured CA)");
		else if (f & MBEDTLS_X509_BADCERT_CN_MISMATCH)
			snprintf(err, errlen, "server certificate is not for host name %s", host);
		else if (f & MBEDTLS_X509_BADCERT_REVOKED)
			snprintf(err, errlen, "server certificate revoked");
		else {
			char info[300];
			mbedtls_x509_crt_verify_info(info, sizeof info, "", f);
			info[strcspn(info, "\n")] = '\0';
			snprintf(err, errlen, "server certificate refused: %s", info);
		}
	} else if (t->timed_out) {
		snprintf(err, errlen, "TLS handshake with %s timed out", host);
	} else if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE || rc == MBEDTLS_ERR_SSL_CONN_EOF ||
		   rc == MBEDTLS_ERR_NET_CONN_RESET || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY ||
		   t->sys_errno == ECONNRESET || t->sys_errno == EPIPE) {
		snprintf(err, errlen, "the server ended the TLS handshake (%s: our client "
			 "certificate missing or refused, or no common cipher)",
			 rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE ? "fatal alert" : "connection closed");
	} else {
		snprintf(err, errlen, "TLS handshake with %s: %s", host, tls_strerror(rc, eb, sizeof eb));
	}
}

/* The configured pin against the server's public key. */
static int check_pin(struct tls_client *c, struct tls_conn *t, char *err, size_t errlen)
{
	const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(&t->ssl);
	unsigned char der[2048], hash[TLS_SHA256_LEN], b64[64];
	size_t b64len = 0;
	int n;

	if (!c->pin[0])
		return 0;
	if (!peer || (n = mbedtls_pk_write_pubkey_der((mbedtls_pk_context *)&peer->pk, der,
						      sizeof der)) <= 0) {
		snprintf(err, errlen, "server public key unreadable for the pin check");
		return -1;
	}
	/* mbedtls_pk_write_pubkey_der writes at the end of the buffer */
	tls_sha256(der + sizeof der - n, (size_t)n, hash);
	mbedtls_base64_encode(b64, sizeof b64, &b64len, hash, sizeof hash);
	b64[b64len] = '\0';
	if (strcmp((char *)b64, c->pin) != 0) {
		snprintf(err, errlen, "server public key does not match the pin (it is %s)", b64);
		return -1;
	}
	return 0;
}

struct tls_conn *tls_connect(struct tls_client *c, const char *host, const char *port,
			     char *err, size_t errlen)
{
	double deadline = mono_ms() + c->connect_timeout_ms;
	struct tls_conn *t = calloc(1, sizeof *t);
	char eb[160], proxy[300];
	int rc;

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	mbedtls_ssl_init(&t->ssl);
	if (c->proxy_host[0]) {
		snprintf(proxy, sizeof proxy, "%s:%s", c->proxy_host, c->proxy_port);
		t->fd = tcp_connect(c->proxy_host, c->proxy_port, deadline, err, errlen);
		if (t->fd >= 0 && proxy_connect(t->fd, proxy, host, port, deadline, err, errlen) < 0) {
			close(t->fd);
			t->fd = -1;
		}
	} else {
		t->fd = tcp_connect(host, port, deadline, err, errlen);
	}
	if (t->fd < 0) {
		mbedtls_ssl_free(&t->ssl);
		free(t);
		return NULL;
	}
	if ((rc = mbedtls_ssl_setup(&t->ssl, &c->conf)) != 0 ||
	    (rc = mbedtls_ssl_set_hostname(&t->ssl, host)) != 0) {
		snprintf(err, errlen, "TLS setup: %s", tls_strerror(rc, eb, sizeof eb));
		goto fail;
	}
	mbedtls_ssl_set_bio(&t->ssl, t, bio_send, NULL, bio_recv_timeout);
	/* each wait of the handshake gets what is left of the connect budget */
	for (;;) {
		t->timeout_ms = (int)(deadline - mono_ms());
		if (t->timeout_ms <= 0) {
			t->timed_out = 1;
			handshake_error(t, MBEDTLS_ERR_SSL_TIMEOUT, host, err, errlen);
			goto fail;
		}
		rc = mbedtls_ssl_handshake(&t->ssl);
		if (rc == 0)
			break;
		if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) {
			handshake_error(t, rc, host, err, errlen);
			goto fail;
		}
	}
	if (check_pin(c, t, err, errlen) < 0)
		goto fail;
	t->timeout_ms = c->io_timeout_ms;
	return t;
fail:
	close(t->fd);
	mbedtls_ssl_free(&t->ssl);
	free(t);
	return NULL;
}

int tls_write(struct tls_conn *t, const void *buf, size_t len, char *err, size_t errlen)
{
	const unsigned char *p = buf;
	char eb[160];

	while (len > 0) {
		int n = mbedtls_ssl_write(&t->ssl, p, len);
		if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (n < 0) {
			if (t->timed_out)
				snprintf(err, errlen, "write timed out (the peer does not read)");
			else if (t->sys_errno == EPIPE || t->sys_errno == ECONNRESET)
				snprintf(err, errlen, "the server closed the connection (write: %s)",
					 strerror(t->sys_errno));
			else if (t->sys_errno)
				snprintf(err, errlen, "write: %s", strerror(t->sys_errno));
			else
				snprintf(err, errlen, "write: %s", tls_strerror(n, eb, sizeof eb));
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t tls_read(struct tls_conn *t, void *buf, size_t len, int timeout_ms,
		 char *err, size_t errlen)
{
	char eb[160];

	t->timeout_ms = timeout_ms;
	t->timed_out = 0;
	for (;;) {
		int n = mbedtls_ssl_read(&t->ssl, buf, len);
		if (n >= 0)
			return n;
		if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
			return 0;
		if (n == MBEDTLS_ERR_SSL_TIMEOUT) {
			snprintf(err, errlen, "no answer within %d s", timeout_ms / 1000);
			return -2;
		}
		if (t->sys_errno)
			snprintf(err, errlen, "read: %s", strerror(t->sys_errno));
		else
			snprintf(err, errlen, "read: %s", tls_strerror(n, eb, sizeof eb));
		return -1;
	}
}

int tls_unacked(struct tls_conn *t)
{
	int n = 0;
	if (ioctl(t->fd, SIOCOUTQ, &n) < 0)
		return -1;
	return n;
}

unsigned long long tls_bytes_sent(const struct tls_conn *t)
{
	return t->sent;
}

int tls_alive(struct tls_conn *t)
{
	struct pollfd p = { .fd = t->fd, .events = POLLIN };
	int n = poll(&p, 1, 0);
	/* a syslog peer sends nothing: anything readable is an alert, the
	 * end of the stream or an error */
	return n == 0;
}

void tls_close(struct tls_conn *t)
{
	if (!t)
		return;
	t->timeout_ms = 1000;
	mbedtls_ssl_close_notify(&t->ssl);
	close(t->fd);
	mbedtls_ssl_free(&t->ssl);
	free(t);
}
