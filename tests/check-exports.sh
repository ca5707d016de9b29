#!/bin/sh
# tests/check-exports.sh LIB.so — the shared library exports exactly the
# public API: every function declared (not static inline) in
# include/aerowire/**/*.h, and nothing else. The declarations are read by
# the compiler (GCC's -aux-info), not by pattern, so a declaration that
# forgot AW_API shows up as "declared but not exported" and an internal
# function that leaked (or a test hook) as "exported but not public".
# It also fails when the library calls a libc function that is not
# thread-safe (strerror and the like).
set -eu
so=${1:?usage: check-exports.sh LIB.so}
cc=${CC:-cc}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for h in $(cd "$root/include" && find aerowire -name '*.h' | sort); do
    echo "#include \"$h\""
done >"$tmp/all.c"
if ! $cc -std=c11 -I"$root/include" $(pkg-config --cflags libevent 2>/dev/null) \
        -fsyntax-only -aux-info "$tmp/aux" "$tmp/all.c"; then
    echo "check-exports: $cc cannot list the public declarations (needs GCC's -aux-info)"
    exit 1
fi
# "/* include/aerowire/client.h:99:NC */ extern int aw_put (...);"
grep "include/aerowire/.* extern " "$tmp/aux" |
    sed -E 's/^.*\*\/ extern [^(]*[ *]([A-Za-z_][A-Za-z0-9_]*) \(.*/\1/' | sort -u >"$tmp/declared"
# Every defined dynamic symbol: functions (T, W, i) and data (D, B, R, V).
nm -D --defined-only "$so" | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/exported"

status=0
extra=$(comm -13 "$tmp/declared" "$tmp/exported")
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
if [ -n "$extra" ]; then
    echo "check-exports: $so exports symbols no public header declares:"
    echo "$extra" | sed 's/^/  /'
    status=1
fi
if [ -n "$missing" ]; then
    echo "check-exports: public functions $so does not export:"
    echo "$missing" | sed 's/^/  /'
    status=1
fi
# The library must not need anything from the program it is loaded into.
undef=$(nm -D --undefined-only "$so" | awk '$2 ~ /^aw_/ { print $2 }')
if [ -n "$undef" ]; then
    echo "check-exports: $so leaves aerowire symbols undefined: $undef"
    status=1
fi
# Nor call what is not thread-safe (the library runs on many threads):
# strerror shares a buffer; errno texts come from aw_errno_text.
unsafe=$(nm -D --undefined-only "$so" | awk '{ sub(/@.*/, "", $2); print $2 }' |
    grep -xE 'strerror|strtok|gmtime|localtime|asctime|ctime|readdir' || true)
if [ -n "$unsafe" ]; then
    echo "check-exports: $so calls libc functions that are not thread-safe:" $unsafe
    status=1
fi
[ $status -eq 0 ] && echo "check-exports: $(wc -l <"$tmp/exported") exported symbols, all of the public API"
exit $status
