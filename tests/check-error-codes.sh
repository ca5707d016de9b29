#!/bin/sh
# tests/check-error-codes.sh — every client-side code in aerowire/error.h
# (the negative ones) is used by the library outside the code table
# (src/proto/error.c): a code no path can produce tells the caller about a
# situation that does not exist. Add a code with the feature that needs it.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
codes=$(sed -nE 's/^ *(AW_ERR_[A-Z_]+) = -[0-9]+,.*/\1/p' "$root/include/aerowire/error.h")
[ -n "$codes" ] || { echo "check-error-codes: no client codes found in error.h"; exit 1; }
status=0
for c in $codes; do
    if ! find "$root/src" -name '*.c' ! -path '*/proto/error.c' -exec grep -qw "$c" {} + ; then
        echo "check-error-codes: $c is defined in aerowire/error.h but nothing in src/ produces it"
        status=1
    fi
done
[ $status -eq 0 ] && echo "check-error-codes: $(echo "$codes" | wc -l) client codes, each used by the library"
exit $status
