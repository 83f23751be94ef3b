/*
 * NAME
 *	netio - buffered protocol I/O for the inetd-style servers, with TLS
 * SYNOPSIS
 *	#include "netio.h"
 * DESCRIPTION
 *	pop3d, imapd, poppassd and deliver -l talk to their client on fd 0
 *	(read) and fd 1 (write): a TCP socket from inetd, xinetd, systemd
 *	Accept=yes or tcpserver, or pipes when run by hand or by tests. A
 *	struct netio is that conversation: a bounded line reader, exact-size
 *	reads for IMAP literals, buffered writes, zero-copy file sends, and
 *	STARTTLS or implicit TLS on the same fds.
 *
 *	Timeouts. Every operation that has to wait polls with the idle
 *	timeout (netio_set_timeout()): the timeout bounds each period
 *	without progress, not the whole operation, so a slow client
 *	downloading 50 MB is fine and a silent one is not. Writes wait the
 *	same way, so a client that stops reading cannot hold the server.
 *
 *	Output is buffered and written when the buffer fills, by
 *	netio_flush(), and automatically before any read or wait would
 *	block: responses to pipelined commands go out in one batch, and a
 *	client waiting for a reply is never left waiting.
 *
 *	Side effects of netio_create(): both fds are switched to O_NONBLOCK
 *	(restored by netio_free()), SIGPIPE is set to SIG_IGN when it was
 *	SIG_DFL, so a vanished client is an EPIPE error, not a killed
 *	server, and a TCP socket gets TCP_NODELAY (netio batches its output
 *	itself; Nagle would hold a response's last segment until the
 *	client's delayed ACK). netio never closes the fds.
 *
 *	STARTTLS injection: netio_starttls() throws away any input the
 *	client sent after the STARTTLS/STLS command line and before the
 *	handshake (RFC 2595 section 3.1, RFC 3207 section 4.2), and says how
 *	many bytes that was, for the log.
 *
 *	Peer addresses are taken when the netio is created, from
 *	getpeername()/getsockname() on the read fd. When fd 0 is not a
 *	socket (pipes: run by hand, by tests, or behind a TLS-terminating
 *	wrapper like ucspi-ssl's sslserver), TCPREMOTEIP and TCPLOCALIP are
 *	used if set, validated, and printed in canonical form; the remote
 *	address is then "pipe" when unset. tcpserver itself passes a real
 *	socket, so its variables are not needed there. Locality (for
 *	PLAINTEXT_LOGIN=local) follows the same address: loopback
 *	(127.0.0.0/8, ::1, ::ffff:127.0.0.0/104) or an AF_UNIX socket is
 *	local; a pipe is local unless TCPREMOTEIP names a non-loopback
 *	address; a TCPREMOTEIP that is not an address makes the peer
 *	"unknown" and not local.
 *
 *	Counters are application bytes (after TLS decryption, before TLS
 *	encryption): what the protocol read and wrote, for session logs.
 * RETURN VALUES
 *	Operations return 0 (or a count) on success and one of these:
 *
 *	NETIO_ERROR	an I/O, TLS or file error; netio_why() says which
 *	NETIO_EOF	the client closed the connection
 *	NETIO_TIMEOUT	the idle timeout passed with no progress
 *	NETIO_TOOLONG	netio_read_line(): the line is over the maximum
 *	NETIO_REFUSED	netio_read_stream(): the consumer refused the data;
 *			the rest was read and discarded, the stream is in
 *			step with the client again
 *
 *	A write-side failure (error or timeout) is sticky: later writes,
 *	flushes and reads that would need to wait return it again at once,
 *	so a caller may write a whole response and check only the flush.
 *	After NETIO_ERROR, NETIO_TIMEOUT or NETIO_TOOLONG from a read the
 *	caller answers with an error if it can and disconnects.
 * MEMORY
 *	The netio owns its buffers and the SSL object; lines returned by
 *	netio_read_line() point into the input buffer and stay valid until
 *	the next call that reads. Strings from netio_why(), the address and
 *	TLS accessors belong to the netio. The caller owns the SSL_CTX
 *	passed to netio_starttls() (the SSL object holds a reference).
 */
#ifndef POPSTORE_NETIO_H
#define POPSTORE_NETIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#define NETIO_ERROR	(-1)
#define NETIO_EOF	(-2)
#define NETIO_TIMEOUT	(-3)
#define NETIO_TOOLONG	(-4)
#define NETIO_REFUSED	(-5)

/* netio_wait() result bits. */
#define NETIO_WAIT_CLIENT	1
#define NETIO_WAIT_EXTRA	2

struct netio;

/*
 * A netio reading rfd and writing wfd (may be the same fd), with no
 * idle timeout. Returns NULL with *why_r when an fd is not open.
 */
struct netio *netio_create(int rfd, int wfd, char **why_r);

/*
 * For tests and fuzzing: a netio whose client input is the len bytes
 * at data (not copied: they must outlive the netio), handed to the
 * reader at most chunk bytes per read (0: all at once) so that every
 * split of the input can be exercised, followed by EOF. Output is kept
 * in memory (netio_mem_output()). There is no TLS and nothing waits.
 */
struct netio *netio_create_mem(const void *data, size_t len, size_t chunk);

/*
 * For a netio_create_mem() netio: flush, then return what was written so
 * far and its length in *len_r. The data belong to the netio.
 */
const char *netio_mem_output(struct netio *n, size_t *len_r);

/*
 * Release everything without I/O: no flush, no TLS close_notify (for a
 * forked child, or after a fatal error). Restores the fds' flags. NULL
 * is allowed.
 */
void netio_free(struct netio *n);

/*
 * Flush the output, send a TLS close_notify (without waiting for the
 * client's), then netio_free(). Returns the flush's result.
 */
int netio_close(struct netio *n);

/* Idle timeout in milliseconds for every later wait; negative: none. */
void netio_set_timeout(struct netio *n, int msecs);

/*
 * Read one line of at most max bytes, not counting its end: LF or CR
 * LF (a CR elsewhere is data). *line_r points at the line, NUL-
 * terminated at its end, and *len_r is its length; *nul_r is set to 1
 * when the line holds a NUL byte (the protocol refuses it), else 0.
 * Returns 0, NETIO_TOOLONG as soon as the line is known to be longer
 * than max (a line that was read to its end is consumed; otherwise the
 * buffered part is discarded and the stream is mid-line: disconnect),
 * NETIO_EOF at end of input (a partial last line is dropped, and
 * netio_why() says so), NETIO_TIMEOUT or NETIO_ERROR. The input buffer
 * grows up to max + 2 bytes for a long line, never more.
 */
int netio_read_line(struct netio *n, size_t max, const char **line_r,
    size_t *len_r, int *nul_r);

/*
 * Read exactly len bytes into dst (an IMAP literal the caller has
 * already checked against its limit). Returns 0, NETIO_EOF (before len
 * bytes), NETIO_TIMEOUT or NETIO_ERROR.
 */
int netio_read_exact(struct netio *n, void *dst, size_t len);

/*
 * Read exactly len bytes and hand them to fn in pieces as they arrive,
 * so that a literal of any size needs no more memory than the input
 * buffer. fn returns 0 to go on, -1 to refuse the data: fn is not
 * called again, the remaining bytes are still read and discarded (the
 * stream stays in step with the client, so the caller can answer NO),
 * and NETIO_REFUSED is returned. fn NULL discards everything. Returns
 * 0, NETIO_REFUSED, NETIO_EOF, NETIO_TIMEOUT or NETIO_ERROR.
 */
int netio_read_stream(struct netio *n, uint64_t len,
    int (*fn)(void *ctx, const char *data, size_t len), void *ctx);

/*
 * netio_read_stream() into fd (a file being appended to). A failed
 * write makes it NETIO_REFUSED with the write's errno in *errno_r (0
 * otherwise) for the caller's temporary/permanent decision.
 */
int netio_read_to_fd(struct netio *n, uint64_t len, int fd, int *errno_r);

/*
 * Queue output. Return 0, or the sticky write failure (NETIO_ERROR or
 * NETIO_TIMEOUT) when an earlier write failed or when the buffer had to
 * be written and that failed.
 */
int netio_write(struct netio *n, const void *data, size_t len);
int netio_puts(struct netio *n, const char *s);
int netio_printf(struct netio *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Write all buffered output. Returns 0, NETIO_ERROR or NETIO_TIMEOUT. */
int netio_flush(struct netio *n);

/*
 * Send count bytes of the file fd from offset, after the buffered
 * output: sendfile(2) on a plain connection, SSL_sendfile() when TLS
 * runs in the kernel (kTLS), else pread() and SSL_write() in 64 KB
 * pieces. Up to 16 KB are read into the output buffer instead, and
 * leave with it. A file shorter than offset + count is an error. On any
 * error the client may have received part of the range: disconnect.
 * On a plain TCP socket the output is corked (TCP_CORK) from here to
 * the next netio_flush(), so the reply line before the file, the file
 * and what follows it leave in full segments.
 * Returns 0, NETIO_ERROR or NETIO_TIMEOUT.
 */
int netio_sendfile(struct netio *n, int fd, off_t offset, uint64_t count);

/*
 * Like netio_sendfile() but with POP3 dot-stuffing: a '.' at the start
 * of a line (at offset, or after an LF) is sent doubled. The range is
 * taken to start at the beginning of a line; the caller sends the
 * terminating ".\r\n" (after a CRLF if the data may not end with one).
 */
int netio_send_dotstuffed(struct netio *n, int fd, off_t offset,
    uint64_t count);

/*
 * Start TLS as the server, with ctx (tls_server_ctx()), on an
 * established netio: first flush the output (the caller has queued its
 * "OK, begin TLS" reply), then discard every byte already buffered from
 * the client, counted in *discarded_r, then do the handshake under the
 * idle timeout. For implicit TLS call it right after netio_create().
 * Returns 0; NETIO_ERROR (handshake failed, TLS already active, or a
 * memory netio), NETIO_EOF or NETIO_TIMEOUT, after which the netio can
 * only be freed.
 */
int netio_starttls(struct netio *n, SSL_CTX *ctx, size_t *discarded_r);

/*
 * Wait until the client has input, or extra_fd (-1: none; imapd IDLE
 * passes an inotify fd) is readable, or timeout_ms passes (negative:
 * forever). Output is flushed first. Input already buffered, in netio
 * or in OpenSSL, counts as ready at once; TLS records that carry no
 * application data (a KeyUpdate) do not wake the caller. End of input
 * and errors count as client readiness (the next read reports them).
 * Returns a mask of NETIO_WAIT_CLIENT and NETIO_WAIT_EXTRA, 0 on
 * timeout, or NETIO_ERROR / NETIO_TIMEOUT when the flush failed.
 */
int netio_wait(struct netio *n, int extra_fd, int timeout_ms);

/* Addresses for logs: "192.0.2.1", "2001:db8::1", "unix", "pipe". */
const char *netio_remote_addr(const struct netio *n);
const char *netio_local_addr(const struct netio *n);

/* 1 when the client is on this host (see DESCRIPTION), else 0. */
int netio_is_local(const struct netio *n);

/*
 * 1 when plaintext passwords may be accepted under policy (enum
 * plaintext_login from conf.h): ALWAYS, or under TLS, or LOCAL with a
 * local client. The servers' one implementation of PLAINTEXT_LOGIN.
 */
int netio_plaintext_allowed(const struct netio *n, int policy);

/* 1 once netio_starttls() succeeded. */
int netio_is_tls(const struct netio *n);

/* The TLS version ("TLSv1.3") and cipher name; NULL without TLS. */
const char *netio_tls_protocol(const struct netio *n);
const char *netio_tls_cipher(const struct netio *n);

/* Application bytes read from and written to the client so far. */
void netio_counters(const struct netio *n, uint64_t *in_r, uint64_t *out_r);

/* Why the last operation failed ("" if nothing failed yet). */
const char *netio_why(const struct netio *n);

#endif
