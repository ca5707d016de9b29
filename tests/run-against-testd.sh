#!/bin/sh
# Runs the programs that take a server from AEROSPIKE_HOSTS (the examples and
# test_real_server) against a fresh aw-testd, so the paths a user follows
# with a real server are exercised by every suite run. The server is then
# stopped with SIGTERM and must exit 0: a crash, or a sanitizer report at
# shutdown (ASan's leak check exits nonzero), fails the run.
# Usage: run-against-testd.sh NODES PROGRAM...
set -u
nodes=$1
shift
bin=${AW_BIN:-build/bin}
out=$(mktemp)
"$bin/aw-testd" --port 0 --nodes "$nodes" >"$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT
# Wait for its ready line: "aw-testd ready 127.0.0.1:P[,127.0.0.1:Q...]".
i=0
while ! grep -q '^aw-testd ready' "$out"; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
        echo "aw-testd did not start:"; cat "$out"; exit 1
    fi
    sleep 0.05
done
AEROSPIKE_HOSTS=$(sed -n 's/^aw-testd ready \([^,]*\).*/\1/p' "$out")
export AEROSPIKE_HOSTS
failed=""
for p in "$@"; do
    echo "=== $(basename "$p") (AEROSPIKE_HOSTS=$AEROSPIKE_HOSTS, $nodes node(s))"
    if ! "$p"; then
        failed="$failed $(basename "$p")"
    fi
done
kill -TERM $pid 2>/dev/null
wait $pid
status=$?
if [ $status -ne 0 ]; then
    echo "aw-testd did not exit cleanly (status $status):"
    cat "$out"
    failed="$failed aw-testd"
fi
if [ -n "$failed" ]; then
    echo "FAILED against aw-testd:$failed"
    exit 1
fi
