/*
 * tls_client.h - TLS client connections (the uplink's transports).
 *
 * Owns: the one place vigil links mbedTLS for outgoing connections - the
 * TCP connect with a deadline, the HTTP CONNECT step through a proxy, the
 * TLS handshake (TLS 1.2 at least; mbedTLS 2.28 offers nothing newer),
 * verification of the server (CA bundle, host name, optional SPKI pin),
 * the client certificate for mutual TLS, reads and writes with timeouts,
 * and the reason of every failure in words ("server certificate not
 * trusted", "connect: Connection refused").
 *
 * Nothing here knows RELP or syslog; output/relp.c and output/syslog_tls.c
 * speak over a struct tls_conn.
 */
#ifndef VIGIL_TLS_CLIENT_H
#define VIGIL_TLS_CLIENT_H

#include <stddef.h>
#include <sys/types.h>

struct tls_client_config {
	const char *ca_file;       /* PEM bundle the server must chain to (required) */
	const char *cert_file;     /* client certificate (PEM) or NULL */
	const char *key_file;      /* its key (PEM) or NULL */
	const char *pin;           /* base64 SHA-256 of the server's SubjectPublicKeyInfo, or NULL */
	const char *proxy;         /* "host:port" of an HTTP CONNECT proxy, or NULL */
	int connect_timeout_ms;    /* TCP connect, proxy and handshake */
	int io_timeout_ms;         /* one read or write */
};

struct tls_client;   /* loaded CA, certificate, key and random generator */
struct tls_conn;     /* one connection */

/* Load the files. NULL and err filled ("ca /x.pem: cannot read ...") on
 * failure. The strings of cfg are copied. */
struct tls_client *tls_client_new(const struct tls_client_config *cfg, char *err, size_t errlen);
void tls_client_free(struct tls_client *c);

/* Check that the files of cfg exist and parse (vigil run -n). 0, or -1
 * with why filled. */
int tls_client_check(const struct tls_client_config *cfg, char *why, size_t whylen);

/* The config line a tls_client_check reason is about, for file:line
 * messages: the line of cert or key when the reason names it and the key
 * was given, of pin or proxy when it names them, else that of ca, else
 * the section's. Lines 0: the key was not given. */
struct tls_client_lines { int section, ca, cert, key, pin, proxy; };
int tls_client_check_line(const char *why, const struct tls_client_lines *l);

/* Connect to host:port (through the proxy if set), handshake and verify.
 * NULL and err filled with the reason on failure. */
struct tls_conn *tls_connect(struct tls_client *c, const char *host, const char *port,
			     char *err, size_t errlen);

/* Write all of buf. 0, or -1 with err filled. */
int tls_write(struct tls_conn *t, const void *buf, size_t len, char *err, size_t errlen);

/* Read what is there (at most len bytes), waiting at most timeout_ms.
 * Returns the bytes read, 0 when the peer closed the connection, -1 on an
 * error and -2 on a timeout (err filled for both). */
ssize_t tls_read(struct tls_conn *t, void *buf, size_t len, int timeout_ms,
		 char *err, size_t errlen);

/* Bytes written that the peer's TCP has not acknowledged yet (SIOCOUTQ),
 * or -1 if that cannot be known. */
int tls_unacked(struct tls_conn *t);

/* Bytes handed to the socket since the connection opened (TLS records,
 * handshake included): with tls_unacked, how far the peer's TCP has
 * acknowledged the stream. */
unsigned long long tls_bytes_sent(const struct tls_conn *t);

/* 1 while the connection looks open: no error and no end of stream
 * pending (a peer that closed or reset shows here without a write). */
int tls_alive(struct tls_conn *t);

/* Send close_notify (best effort), close the socket, free. */
void tls_close(struct tls_conn *t);

#endif
