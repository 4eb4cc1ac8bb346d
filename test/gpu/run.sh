#!/bin/sh
# Runs the GPU bench from this folder alone: the Node binary, Dawn (node_modules/webgpu, only
# dawn.node for linux-x64) and the bundled bench (bench.mjs) travel here, with two fallbacks
# for what a bare machine with a GPU driver may lack: a Vulkan loader (lib/vulkan) and the C++
# runtime Node and Dawn were built against (lib/cxx). Needs: a POSIX sh, Linux x64, glibc >= 2.34
# (dawn.node's), and a Vulkan driver (NVIDIA's ICD). Options go to the bench (--help);
# $OUT set means the JSON also goes to $OUT/gpu-result.json. Made by scripts/gpu-bundle.sh.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
notes=""
say() { echo "[gpu-bundle] $*" >&2; }

# is a shared library the dynamic linker can find without our help?
has_lib() {
  for d in /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib64 /lib64 /usr/local/lib /usr/lib /lib; do
    [ -e "$d/$1" ] && { echo "$d/$1"; return 0; }
  done
  for l in ldconfig /sbin/ldconfig /usr/sbin/ldconfig; do
    p=$($l -p 2>/dev/null | awk -v n="$1" '$1 == n && /x86-64/ { sub(/.*=> /, ""); print; exit }') || true
    [ -n "$p" ] && { echo "$p"; return 0; }
  done
  return 1
}

# Vulkan loader: the system's when it has one (matched to its driver), else the carried one.
if has_lib libvulkan.so.1 >/dev/null; then
  notes="$notes vulkan-loader=system"
else
  LD_LIBRARY_PATH="$here/lib/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  notes="$notes vulkan-loader=carried"
fi

# Vulkan driver: when nothing names one (no VK_ICD_FILENAMES / VK_DRIVER_FILES, no manifest in
# the standard folders; e.g. a container given only the NVIDIA compute libraries) but NVIDIA's
# Vulkan driver library is there, write the manifest its package would have installed.
if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ]; then
  found=""
  for d in /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/local/etc/vulkan/icd.d; do
    for f in "$d"/*.json; do [ -e "$f" ] && found="$found $f"; done
  done
  if [ -n "$found" ]; then
    notes="$notes vulkan-icds=$(echo $found | tr ' ' ',')"
  elif nv=$(has_lib libGLX_nvidia.so.0); then
    printf '{"file_format_version": "1.0.1", "ICD": {"library_path": "%s", "api_version": "1.3.0"}}\n' "$nv" > "$here/nvidia_icd.json"
    VK_ICD_FILENAMES="$here/nvidia_icd.json"
    export VK_ICD_FILENAMES
    notes="$notes vulkan-icds=written-for:$nv"
  else
    say "no Vulkan driver manifest found (/etc/vulkan/icd.d, /usr/share/vulkan/icd.d) and no libGLX_nvidia.so.0: Dawn will likely find no adapter"
    notes="$notes vulkan-icds=none"
  fi
else
  notes="$notes vulkan-icds=env:${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}"
fi

# C++ runtime: the system's if Node and dawn.node load with it, else the carried one (from the
# machine that built the bundle; it needs that machine's glibc or newer).
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}"
probe="require('$here/node_modules/webgpu/dist/linux-x64/dawn.node')"
if ! err=$("$here/node" -e "$probe" 2>&1); then
  LD_LIBRARY_PATH="$here/lib/cxx${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  if ! err2=$("$here/node" -e "$probe" 2>&1); then
    say "Node or Dawn does not load on this machine."
    say "with the system's libraries: $err"
    say "with the carried C++ runtime: $err2"
    exit 1
  fi
  notes="$notes cxx-runtime=carried"
else
  notes="$notes cxx-runtime=system"
fi

say "node $("$here/node" --version);$notes"
TABTRAIN_GPU_NOTES="${notes# }"
export TABTRAIN_GPU_NOTES
exec "$here/node" "$here/bench.mjs" "$@"
