#!/bin/sh
# tabtrain GPU bench, self-extracting (made by scripts/gpu-bundle.sh; docs/performance.md "GPU").
# Usage: sh tabtrain-gpu.run [bench options, see --help]   ($OUT set: the JSON also goes to $OUT/gpu-result.json)
# Unpacks its folder (Node, Dawn, the bundled bench, run.sh) into $TABTRAIN_GPU_DIR, default
# ${TMPDIR:-/tmp}/tabtrain-gpu-@ID@, once, and runs run.sh there. Needs sh, tail, tar and @TOOL@.
set -eu
dest=${TABTRAIN_GPU_DIR:-${TMPDIR:-/tmp}/tabtrain-gpu-@ID@}
if [ ! -x "$dest/run.sh" ]; then
  rm -rf "$dest.part"
  mkdir -p "$dest.part"
  tail -n +@SKIP@ "$0" | @TOOL@ -dc | tar -xf - -C "$dest.part"
  rm -rf "$dest"
  mv "$dest.part/tabtrain-gpu" "$dest"
  rmdir "$dest.part"
fi
exec "$dest/run.sh" "$@"
