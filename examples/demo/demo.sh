#!/usr/bin/env bash
# make demo: start a private Docker engine (never the machine's own), fill it with sample
# resources, run docker-cleaner on it, show what is left, and stop the engine.
#
#   examples/demo/demo.sh path/to/docker-cleaner   (as root: it starts an engine; DC_DEMO_DIR
#                                                   sets its directory, default /tmp/dc-demo)
set -euo pipefail

bin="$(realpath "$1")"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export DC_ENGINE_DIR="${DC_DEMO_DIR:-/tmp/dc-demo}"
kind=docker20
engine() { "$root/tests/engines/engine.sh" "$@" "$kind"; }
sock="$DC_ENGINE_DIR/$kind/engine.sock"
d() { /usr/bin/docker -H "unix://$sock" "$@"; }

trap 'engine stop >/dev/null 2>&1 || true' EXIT
engine start

echo "== filling the private engine at unix://$sock"
for i in 1 2 3; do d create --name "old-job-$i" --network none -v /data testbase:latest true >/dev/null; done
d create --name keep-me --label docker-cleaner.protect=true --network none testbase:latest true >/dev/null
d run -d --name web --network none testbase:latest sleep 600 >/dev/null
d network create ci-net-1 >/dev/null
d network create --label docker-cleaner.protect ci-shared >/dev/null
d volume create build-data >/dev/null
ctx="$(mktemp -d)"
for i in 1 2; do
	echo "build $i" >"$ctx/file"
	tar -C "$ctx" -c . | d import - app:dev >/dev/null # the second import leaves the first dangling
done
tar -C "$ctx" -c . | d import - app:release >/dev/null
rm -rf "$ctx"
d system df
echo
echo "== docker-cleaner (CLEANUP_VOLUMES=true: anonymous volumes too; named ones stay)"
set +e
DOCKER_HOST="unix://$sock" PRUNE_FORCE=true CLEANUP_VOLUMES=true "$bin"
status=$?
set -e
echo "(exit status $status)"
echo
echo "== what is left"
d ps -a --format 'container {{.Names}} ({{.Status}})'
d network ls --filter type=custom --format 'network {{.Name}}'
d volume ls --format 'volume {{.Name}}'
d images --format 'image {{.Repository}}:{{.Tag}}'
exit "$status"
