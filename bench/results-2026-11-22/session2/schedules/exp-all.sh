#!/usr/bin/env bash
bash -c "source $(dirname "$0")/../../../run.sh; reset" >/dev/null 2>&1
for s in 5 20; do for r in 1 2 3; do for w in base netearly allearly cdel cli; do
  echo "== s$s r$r $w $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
  bash "$(dirname "$0")/exp.sh" $s $w 2>&1 | grep -v "^.bench [0-9]"
done; done; done
