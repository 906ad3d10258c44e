#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# gen-corpus.sh - regenerates tests/fuzz/corpus/, the seed corpus of
# fuzz_capture: small captures made by the real writer, whole, empty, cut
# off and corrupt (see gen_corpus.c).  The output is deterministic; run it
# from anywhere after a change to the capture format and commit the result.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/tests/fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror -I"$top/include" -I"$top/src/lib" \
	-o "$tmp/gen_corpus" "$top/tests/fuzz/gen_corpus.c" \
	"$top/src/lib/capture_write.c" -lz -lzstd
rm -rf "$out"
mkdir -p "$out"
"$tmp/gen_corpus" "$out"
ls -l "$out"
