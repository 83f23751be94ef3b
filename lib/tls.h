/*
 * NAME
 *	tls - the servers' OpenSSL 3 context, built from popstore.conf
 * SYNOPSIS
 *	#include "tls.h"
 * DESCRIPTION
 *	tls_server_ctx() turns the TLS_* options of struct conf into an
 *	SSL_CTX that netio_starttls() (netio.h) uses for STARTTLS/STLS and
 *	for implicit TLS (ports 993/995, the servers' -s flag):
 *
 *	  - TLS_MIN_PROTOCOL (default TLSv1.2, or TLSv1.3) is the lowest
 *	    version accepted; there is no maximum. Older versions are
 *	    refused as a configuration error.
 *	  - TLS_CIPHERS (TLS 1.2) and TLS_CIPHERSUITES (TLS 1.3); an empty
 *	    value keeps OpenSSL's default list. Whatever TLS_CIPHERS says,
 *	    a fixed floor is removed from it: ciphers without forward
 *	    secrecy (RSA key exchange), anonymous and NULL ciphers, PSK and
 *	    SRP, LOW, MEDIUM and export grade, RC4, DES, 3DES, MD5, IDEA,
 *	    SEED and DSS. A list that leaves nothing is an error.
 *	  - TLS_CERT_FILE is a PEM chain: the server certificate first, then
 *	    the intermediates. TLS_KEY_FILE is the PEM private key; empty
 *	    means the key is in TLS_CERT_FILE.
 *	  - Always: no compression (CRIME), no renegotiation, the server's
 *	    cipher order, ECDHE with OpenSSL's automatic groups, automatic
 *	    DHE parameters, kTLS when the kernel offers it (netio_sendfile()
 *	    then stays zero-copy under TLS).
 *	  - No session resumption: the servers run one process per
 *	    connection (inetd-style), so a session cache or ticket key would
 *	    die with the process. The cache is off and no tickets are sent.
 *	  - Optional strict ALPN ("imap", "pop3"): a client that offers ALPN
 *	    without that protocol is refused with no_application_protocol,
 *	    so a TLS session cannot be redirected to another protocol's
 *	    server (the ALPACA attack). A client offering no ALPN is served.
 *
 *	Reload: a server calls tls_server_ctx() once per connection, as root
 *	and before privsep_drop(), so the key may be readable by root only.
 *	Because every connection is a new process that reads the files anew,
 *	replacing the certificate and key on disk (rename both into place,
 *	key first) takes effect for the next connection with no restart or
 *	signal; connections already open keep the old certificate. Between
 *	the two renames a connection sees a mismatched pair and gets no TLS
 *	(logged; STARTTLS is then not offered); a combined PEM (empty
 *	TLS_KEY_FILE) or a directory of both files reached through a
 *	symbolic link that is itself replaced by rename switches at once.
 * MEMORY
 *	The caller owns the returned SSL_CTX (SSL_CTX_free()). *why_r, when
 *	set, is allocated and the caller frees it.
 * ERRORS
 *	Failures return NULL/-1 with *why_r naming the file or option and
 *	OpenSSL's error queue text, e.g. "TLS_KEY_FILE /etc/k.pem: ...".
 */
#ifndef POPSTORE_TLS_H
#define POPSTORE_TLS_H

#include <openssl/ssl.h>

struct conf;

/*
 * Build a server context from conf's TLS_* options. alpn is the one
 * ALPN protocol this server speaks ("imap", "pop3"; a string that lives
 * as long as the context, normally a literal), or NULL to ignore ALPN. An empty TLS_CERT_FILE is an error (callers check it before
 * offering STARTTLS). Returns NULL with *why_r on any error; the
 * certificate and key are checked to match.
 */
SSL_CTX *tls_server_ctx(const struct conf *conf, const char *alpn,
    char **why_r);

/*
 * Map a protocol name as written in TLS_MIN_PROTOCOL ("TLSv1",
 * "TLSv1.1", "TLSv1.2", "TLSv1.3", any case) to OpenSSL's version
 * number. Returns 0, or -1 for an unknown name. (tls_server_ctx()
 * refuses a minimum older than TLSv1.2.)
 */
int tls_protocol_version(const char *name, int *version_r);

/*
 * "what: " followed by the text of every error in this thread's
 * OpenSSL error queue (which is emptied), or by errno's text when
 * sys_errno is nonzero and the queue is empty. Always returns an
 * allocated string the caller frees.
 */
char *tls_why(const char *what, int sys_errno);

#endif
