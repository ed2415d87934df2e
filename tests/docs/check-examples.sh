#!/usr/bin/env bash
# The examples are checked as far as this machine allows: shellcheck for the scripts,
# systemd-analyze for the units, a YAML parser for the CI snippets, the cron line's shape, and
# the contexts script run for real against a stub `docker` (one context per outcome).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ex="$root/examples"
passed=0 failed=0
check() { # NAME COMMAND...
	local name="$1" out
	shift
	if out="$("$@" 2>&1)"; then
		passed=$((passed + 1))
		echo "ok - $name"
	else
		failed=$((failed + 1))
		echo "not ok - $name"
		printf '%s\n' "$out" | sed 's/^/    /'
	fi
}

check "shellcheck examples" shellcheck "$ex"/contexts/*.sh "$ex"/swarm/*.sh "$ex"/demo/*.sh
check "systemd units" systemd-analyze verify --man=no "$ex"/systemd/docker-cleaner.service "$ex"/systemd/docker-cleaner.timer \
	"$ex"/systemd/docker-cleaner-metrics.service
check "CI snippets are YAML" /usr/bin/python3 -c '
import sys, yaml
for f in sys.argv[1:]:
    doc = yaml.safe_load(open(f))
    assert isinstance(doc, dict) and doc, f + ": not a mapping"
' "$ex"/ci/*.yml
cron_line() {
	# /etc/cron.d format: five time fields, a user, a command that runs docker-cleaner.
	grep -Ev '^\s*(#|$|[A-Z_]+=)' "$ex/cron/docker-cleaner" |
		grep -Eq '^([0-9*/,-]+\s+){5}root\s+docker run --rm -v /var/run/docker.sock:/var/run/docker.sock .* docker-cleaner( |$)'
}
check "cron line" cron_line

contexts_run() {
	local stub rc out
	stub="$(mktemp -d)"
	cat >"$stub/docker" <<'STUB'
#!/bin/sh
# docker --context NAME run ...: the exit status follows the context's name.
case "$2" in ok*) echo "report of $2"; exit 0 ;; partial*) exit 1 ;; esac
exit 2
STUB
	chmod +x "$stub/docker"
	out="$(PATH="$stub:$PATH" PARALLEL=2 LOGDIR="$stub" bash "$ex/contexts/clean-contexts.sh" ok1 partial1 ok2)"
	rc=$?
	printf '%s\n' "$out"
	[ "$rc" = 1 ] || { echo "worst status: expected 1, actual $rc"; return 1; }
	grep -q '^ok1 .*exit 0' <<<"$out" && grep -q '^partial1 .*exit 1' <<<"$out" && grep -q '^ok2 .*exit 0' <<<"$out" ||
		{ echo "expected one line per context with its status"; return 1; }
	grep -q 'report of ok2' "$stub/ok2.log" || { echo "no log for ok2"; return 1; }
	rm -rf "$stub"
}
check "contexts script: statuses and worst exit" contexts_run

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
