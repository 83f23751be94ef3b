/*
 * replay - run a fuzz target over files, without libFuzzer.
 *
 * `make check` links each target in t/fuzz/ with this driver and feeds it
 * every file of t/fuzz/corpus/<target>/ (see t/fuzz-replay.t), so the
 * corpus keeps passing under the sanitizers even where no fuzzer runs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		FILE *fp = fopen(argv[i], "rb");
		uint8_t *data = NULL;
		size_t len = 0, cap = 0, n;

		if (fp == NULL) {
			perror(argv[i]);
			return 2;
		}
		do {
			if (len == cap) {
				cap = cap ? cap * 2 : 65536;
				if ((data = realloc(data, cap)) == NULL)
					return 2;
			}
			n = fread(data + len, 1, cap - len, fp);
			len += n;
		} while (n > 0);
		fclose(fp);
		LLVMFuzzerTestOneInput(data, len);
		free(data);
	}
	return 0;
}
