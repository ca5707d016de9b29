#!/bin/sh
# Compiles every ```c block of the docs that show the C API against the
# public headers (syntax and types only), so the examples cannot rot.
#
# A block is a whole translation unit, unless the line just before its fence
# is `<!-- example: body -->`: then it is the body of
#     void doc_example(aw_client *client, aw_key key)
# with <aerowire/aerowire.h> and <aerowire/exp.h> included.
#
# usage: check-doc-examples.sh DOC.md...   (CC and CFLAGS from the environment)
set -eu
CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
status=0
n=0
for doc in "$@"; do
    # one file per block: ex-<n>.c, its first line says which doc line it came from
    awk -v dir="$tmp" -v doc="$doc" '
        /^```c[ \t]*$/ {
            inblock = 1; k++; f = sprintf("%s/%s.%03d.c", dir, "ex", k)
            if (body) {
                print "#include <aerowire/aerowire.h>" > f
                print "#include <aerowire/exp.h>" > f
                printf "#line %d \"%s\"\n", NR + 1, doc > f
                print "void doc_example(aw_client *client, aw_key key);" > f
                print "void doc_example(aw_client *client, aw_key key) {" > f
            } else {
                printf "#line %d \"%s\"\n", NR + 1, doc > f
            }
            wrap = body; body = 0; next
        }
        inblock && /^```[ \t]*$/ { if (wrap) print "}" > f; close(f); inblock = 0; next }
        inblock { print > f; next }
        { body = ($0 ~ /^<!-- example: body -->[ \t]*$/) }
    ' "$doc"
    for f in "$tmp"/ex.*.c; do
        [ -e "$f" ] || continue
        n=$((n + 1))
        if ! $CC -std=c11 -fsyntax-only -Wall -Wextra -Werror -Wno-unused-parameter \
                -Wno-unused-variable -Wno-unused-but-set-variable -Iinclude ${CFLAGS:-} "$f"; then
            echo "check-doc-examples: a C example in $doc does not compile (see above)" >&2
            status=1
        fi
        rm -f "$f"
    done
done
echo "check-doc-examples: $n C examples checked"
exit $status
