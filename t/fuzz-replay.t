#!/bin/sh
# Replay every fuzz corpus (t/fuzz/corpus/NAME/) through its target built
# with the replay driver: a crash or sanitizer report fails the test.
build=${POPSTORE_BUILD:-.}
src=${POPSTORE_SRC:-.}
n=0
for target in "$build"/t/fuzz/*-replay; do
	[ -x "$target" ] || continue
	n=$((n + 1))
done
if [ $n = 0 ]; then
	echo "1..0 # SKIP no fuzz targets built (run make tests)"
	exit 0
fi
echo "1..$n"
i=0
for target in "$build"/t/fuzz/*-replay; do
	[ -x "$target" ] || continue
	i=$((i + 1))
	name=$(basename "$target" -replay)
	corpus="$src/t/fuzz/corpus/$name"
	count=$(ls "$corpus" 2>/dev/null | wc -l)
	if [ "$count" = 0 ]; then
		echo "not ok $i - $name: no corpus in $corpus"
		continue
	fi
	if out=$(find "$corpus" -type f -print0 | xargs -0 "$target" 2>&1); then
		echo "ok $i - $name: $count corpus files replayed"
	else
		echo "not ok $i - $name"
		echo "$out" | tail -30 | sed 's/^/# /'
	fi
done
