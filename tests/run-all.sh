#!/bin/sh
# Runs each test binary given; prints a summary and fails if any failed.
failed=""
for t in "$@"; do
    echo "=== $(basename "$t")"
    if ! "$t"; then
        failed="$failed $(basename "$t")"
    fi
done
if [ -n "$failed" ]; then
    echo "FAILED:$failed"
    exit 1
fi
echo "all $# test programs passed"
