/* server - start-up of the inetd-style servers; see server.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "file.h"
#include "server.h"
#include "store.h"
#include "tls.h"

static void
load_key(const struct conf *conf, struct server_setup *ss)
{
	struct buf path = BUF_INIT;
	char *why = NULL;

	store_secret_key_path(ss->store, &path);
	if (secret_key_load(path.data, &ss->key, &why) == 0)
		ss->have_key = 1;
	else if (conf->apop_cram_md5 || errno != ENOENT) {
		ss->key_why = why;
		why = NULL;
	}
	free(why);
	buf_free(&path);
}

int
server_setup(const struct conf *conf, const char *alpn,
    struct server_setup *ss, char **why_r)
{
	memset(ss, 0, sizeof(*ss));
	if (geteuid() == 0 && conf->store_user[0] == '\0')
		return file_whyf(why_r, "STORE_USER is not set: a server "
		    "does not serve as root");
	if (conf->tls_cert_file[0])
		ss->tls = tls_server_ctx(conf, alpn, &ss->tls_why);
	if (store_open(conf, &ss->store, &ss->store_why) < 0)
		ss->store = NULL;
	else
		load_key(conf, ss);
	return 0;
}

void
server_setup_free(struct server_setup *ss)
{
	SSL_CTX_free(ss->tls);
	store_close(ss->store);
	secret_key_wipe(&ss->key);
	free(ss->tls_why);
	free(ss->store_why);
	free(ss->key_why);
	memset(ss, 0, sizeof(*ss));
}

const char *
server_hostname(const struct conf *conf, char *buf, size_t size)
{
	if (conf->hostname && conf->hostname[0])
		return conf->hostname;
	if (size == 0)
		return "localhost";
	if (gethostname(buf, size) < 0)
		buf[0] = '\0';
	buf[size - 1] = '\0';
	return buf[0] ? buf : "localhost";
}
