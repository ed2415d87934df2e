# shellcheck shell=bash
# Sourced by the session-1 experiments: bench/run.sh's helpers, and their output folder.
# shellcheck source-path=SCRIPTDIR source=../run.sh
source "$(dirname "${BASH_SOURCE[0]}")/../run.sh"
set +e
OUT="$OUT/session1"
WORK="$OUT/work"
mkdir -p "$WORK"
chmod 755 "$OUT" "$WORK"
