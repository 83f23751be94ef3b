/*
 * NAME
 *	server - start-up of the inetd-style servers while still root
 * SYNOPSIS
 *	#include "server.h"
 * DESCRIPTION
 *	pop3d, imapd and poppassd start the same way, once per connection:
 *	as root they read what only root may read, then become STORE_USER
 *	(privsep.h) before the first byte from the client. server_setup()
 *	is the part before the drop:
 *
 *	  1. running as root with an empty STORE_USER is refused: a server
 *	     never serves as root;
 *	  2. the TLS context (tls.h) when TLS_CERT_FILE is set: the key
 *	     file may be readable by root only;
 *	  3. the store is opened (store.h; only its marker is read);
 *	  4. the site key of the APOP/CRAM-MD5 secrets (secret.h), when the
 *	     key file exists: it may be readable by root only.
 *
 *	Steps 2 to 4 may fail without stopping the server: it then runs
 *	without TLS, answers that the store is unavailable, or offers no
 *	APOP; the reasons are left for the caller to log. The caller does
 *	its own root-only work next (sasl_setup()) and then privsep_drop().
 * MEMORY
 *	server_setup() fills a caller's struct; server_setup_free() releases
 *	what it holds (the key is wiped). Reason strings belong to it.
 */
#ifndef POPSTORE_SERVER_H
#define POPSTORE_SERVER_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "secret.h"

struct conf;
struct store;

struct server_setup {
	SSL_CTX		*tls;		/* NULL: TLS not configured or broken */
	char		*tls_why;	/* why the configured TLS failed */
	struct store	*store;		/* NULL: store_why says why */
	char		*store_why;
	struct secret_key key;
	int		 have_key;
	char		*key_why;	/* an existing key file failed to load,
					   or APOP_CRAM_MD5 is on without one */
};

/*
 * Steps 1 to 4 above, with alpn the protocol name for TLS ("pop3",
 * "imap", or NULL). Returns 0 (see the struct for what worked), or -1
 * with *why_r for step 1, after which the server must exit.
 */
int server_setup(const struct conf *conf, const char *alpn,
    struct server_setup *ss, char **why_r);

/* Release everything server_setup() filled in (a zeroed struct too). */
void server_setup_free(struct server_setup *ss);

/*
 * The name a server gives in its greeting: HOSTNAME, else
 * gethostname() (no DNS), else "localhost". Returns conf's string or
 * buf (filled, NUL-terminated, size bytes).
 */
const char *server_hostname(const struct conf *conf, char *buf, size_t size);

#endif
