#!/bin/sh
# ctest entry: builds the Go reference into the build tree, then runs the comparison.
# Usage: run_diff.sh SOURCE_DIR WORK_DIR TEST_BINARY [gtest args]
set -eu
src=$1
work=$2
bin=$3
shift 3
"$src/build_go.sh" "$src" "$work/ssa_diff_go" "$work"
KCX_SSA_DIFF_GO="$work/ssa_diff_go" exec "$bin" "$@"
