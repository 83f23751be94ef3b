/* Unit tests: buf, num, crc, fanout, kvfile. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crc.h"
#include "fanout.h"
#include "kvfile.h"
#include "num.h"
#include "lib/tap.h"

static void
test_num(void)
{
	static const struct {
		const char *in;
		int ok;
		uint64_t want;
	} sizes[] = {
		{ "0", 1, 0 }, { "10", 1, 10 }, { "10K", 1, 10240 },
		{ "2m", 1, 2097152 }, { "1G", 1, 1073741824 }, { "", 0, 0 },
		{ "K", 0, 0 }, { "-1", 0, 0 }, { "1x", 0, 0 }, { " 1", 0, 0 },
		{ "18446744073709551615", 1, UINT64_MAX },
		{ "18446744073709551616", 0, 0 }, { "20000000000000000G", 0, 0 },
	};
	size_t i;
	uint64_t v;
	int b;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int rc = num_parse_size(sizes[i].in, UINT64_MAX, &v);

		tap_is_int(rc == 0, sizes[i].ok, "size '%s' parses: %d",
		    sizes[i].in, sizes[i].ok);
		if (rc == 0 && sizes[i].ok)
			tap_is_int((long long)v, (long long)sizes[i].want,
			    "size '%s' value", sizes[i].in);
	}
	tap_is_int(num_parse_u64("100", 99, &v), -1, "range checked");
	tap_is_int(num_parse_duration("2h", UINT64_MAX, &v), 0, "duration");
	tap_is_int((long long)v, 7200, "2h = 7200 s");
	tap_ok(num_parse_bool("Yes", &b) == 0 && b == 1, "bool yes");
	tap_ok(num_parse_bool("off", &b) == 0 && b == 0, "bool off");
	tap_ok(num_parse_bool("maybe", &b) < 0, "bool maybe refused");
}

static void
test_crc(void)
{
	tap_is_int(crc32c("123456789", 9), 0xE3069283, "crc32c check value");
	tap_is_int(crc32c_update(crc32c("1234", 4), "56789", 5), 0xE3069283,
	    "crc32c incremental");
}

static void
test_fanout(void)
{
	static const struct {
		const char *name, *enc;
	} cases[] = {
		{ "jdoe", "jdoe" }, { "j.doe", "j.doe" }, { ".x", "%2Ex" },
		{ "..", "%2E." }, { "Ab", "%41b" }, { "a/b", "a%2Fb" },
		{ "a b", "a%20b" }, { "x@example.com", "x@example.com" },
		{ "\xc3\xa9t\xc3\xa9", "%C3%A9t%C3%A9" }, { "a%b", "a%25b" },
	};
	struct buf b = BUF_INIT, d = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		buf_reset(&d);
		fanout_encode(cases[i].name, &b);
		tap_is_str(b.data, cases[i].enc, "encode %s", cases[i].enc);
		tap_ok(fanout_decode(b.data, &d) == 0 &&
		    strcmp(d.data, cases[i].name) == 0, "decode %s", cases[i].enc);
	}
	buf_reset(&d);
	tap_ok(fanout_decode("%61", &d) < 0, "needless escape refused");
	buf_reset(&d);
	tap_ok(fanout_decode("%00x", &d) < 0, "escaped NUL refused");
	buf_reset(&d);
	tap_ok(fanout_decode(".x", &d) < 0, "leading dot refused");
	buf_reset(&d);
	tap_ok(fanout_decode("a%2", &d) < 0, "short escape refused");
	/* FNV-1a: published test vectors. */
	tap_is_int(fanout_hash(""), 0x811c9dc5, "fnv1a of empty");
	tap_is_int(fanout_hash("a"), 0xe40c292c, "fnv1a of a");
	tap_is_int(fanout_hash("foobar"), 0xbf9cf968, "fnv1a of foobar");
	buf_reset(&b);
	fanout_path("/s", "foobar", &b);
	tap_is_str(b.data, "/s/bf/9c/foobar", "path of foobar");
	buf_free(&b);
	buf_free(&d);
}

static void
test_kvfile(void)
{
	static const char text[] = "popstore-test 3\nname j%20doe\nempty \n"
	    "pct 100%25\n";
	struct buf out = BUF_INIT;
	struct kvfile kv;
	char *why = NULL;
	size_t i;

	tap_is_int(kvfile_parse(text, strlen(text), "test", &kv, &why), 0,
	    "kvfile parses");
	tap_is_int(kv.version, 3, "version");
	tap_is_str(kvfile_get(&kv, "name"), "j doe", "escaped space");
	tap_is_str(kvfile_get(&kv, "empty"), "", "empty value");
	tap_is_str(kvfile_get(&kv, "pct"), "100%", "escaped percent");
	kvfile_set(&kv, "nl", "a\nb");
	kvfile_format(&kv, &out);
	tap_ok(strstr(out.data, "nl a%0Ab\n") != NULL, "newline escaped");
	kvfile_free(&kv);
	tap_is_int(kvfile_parse(out.data, out.len, "test", &kv, &why), 0,
	    "round trip parses");
	tap_is_str(kvfile_get(&kv, "nl"), "a\nb", "round trip value");
	kvfile_free(&kv);
	/* Every truncation of a valid file either parses or is refused;
	 * a torn last line is refused. */
	for (i = 0; i < out.len; i++) {
		int rc = kvfile_parse(out.data, i, "test", &kv, NULL);

		if (rc == 0)
			kvfile_free(&kv);
		if (i > 0 && out.data[i - 1] != '\n' && rc == 0) {
			tap_ok(0, "torn file at %zu accepted", i);
			break;
		}
	}
	tap_ok(i == out.len, "torn files refused");
	tap_ok(kvfile_parse("popstore-other 1\n", 17, "test", &kv, NULL) < 0,
	    "wrong kind refused");
	tap_ok(kvfile_parse("popstore-test 1\nBad x\n", 22, "test", &kv, NULL) < 0,
	    "bad key refused");
	free(why);
	buf_free(&out);
}

int
main(void)
{
	test_num();
	test_crc();
	test_fanout();
	test_kvfile();
	return tap_done();
}
