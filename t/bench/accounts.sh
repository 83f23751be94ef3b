#!/bin/sh
# accounts.sh - how fast popmgr creates, counts and deletes accounts in bulk.
#
#   t/bench/accounts.sh [N]        (default 100000; not run by make check)
#
# With PASSWORD_ITERATIONS=4096, in stores under $TMPDIR (about 16 KB of
# disk per account and store):
#   1. store A: N `add` lines piped in, without passwords;
#   2. store A: show -count_users;
#   3. store A: the largest directories of the profile fanout tree;
#   4. store B: one `add` command with a comma list of N names;
#   5. store C: N `add` lines with -password=...;
#   6. store A: delete * -noconfirm.
# Deleting comes last and each step has a store of its own: ext4 makes
# inode allocation slow for minutes after many deletions, which would
# distort the steps that follow.
# Prints one line per step: seconds and accounts per second.
set -e
N=${1:-100000}
BUILD=${POPSTORE_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)}
POPMGR=$BUILD/popmgr/popmgr
work=$(mktemp -d "${TMPDIR:-/tmp}/popstore-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

now() { date +%s.%N; }
report() {	# step start end count
	awk -v s="$2" -v e="$3" -v n="$4" -v what="$1" 'BEGIN {
		t = e - s; printf "%-40s %8.2f s %10.0f /s\n", what, t,
		    (t > 0 ? n / t : 0) }'
}
store() {	# a new store named $1
	printf 'STORE_DIR=%s/%s\nLOG_FILE=%s/%s.log\nPASSWORD_ITERATIONS=4096\n' \
	    "$work" "$1" "$work" "$1" > "$work/$1.conf"
	"$POPMGR" -C "$work/$1.conf" init >/dev/null
}
pm() { conf=$work/$1.conf; shift; "$POPMGR" -C "$conf" "$@"; }

echo "popmgr bulk benchmark: $N accounts, stores in $work"
store A
s=$(now)
seq -f 'add u%06g' 1 "$N" | pm A
e=$(now)
report "add from a pipe, no passwords" "$s" "$e" "$N"

s=$(now)
out=$(pm A show -count_users)
e=$(now)
report "show -count_users ($out)" "$s" "$e" "$N"

# Entries per directory of the profile tree (users/HH/hh/NAME/...).
find "$work/A/users" -mindepth 1 -maxdepth 3 -printf '%h\n' |
    sort | uniq -c | sort -n | tail -1 |
    awk '{ printf "largest directory of the fanout tree: %d entries (%s)\n",
	$1, $2 }'
find "$work/A/users" -mindepth 3 -maxdepth 3 -printf '%h\n' |
    sort | uniq -c | sort -n | tail -1 |
    awk '{ printf "largest leaf directory: %d accounts\n", $1 }'

store B
seq -f 'c%06g' 1 "$N" | paste -sd, - | sed 's/^/add /' > "$work/one.cmd"
s=$(now)
pm B run "$work/one.cmd"
e=$(now)
report "one add with $N names" "$s" "$e" "$N"

store C
s=$(now)
seq -f 'add u%06g -password=Bench.Pass.1' 1 "$N" | pm C
e=$(now)
report "add from a pipe, with passwords" "$s" "$e" "$N"

s=$(now)
pm A delete '*' -noconfirm -nolog
e=$(now)
report "delete * -noconfirm" "$s" "$e" "$N"
