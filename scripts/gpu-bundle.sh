#!/usr/bin/env bash
# Builds the GPU bundle: one self-extracting file, bench-results/gpu/tabtrain-gpu.run, that
# runs tabtrain's GPU bench (test/gpu/bench-dawn.ts: the engine on tfjs WebGPU, on Dawn) on a
# Linux x64 machine with a GPU driver and nothing else: no Node, no npm, no network. It carries
#   node                       this machine's Node binary (process.execPath), stripped
#   node_modules/webgpu/       the webgpu package's loader and its linux-x64 dawn.node only
#   bench.mjs                  the bench and the engine, bundled by esbuild (tfjs included)
#   lib/vulkan/libvulkan.so.1  a Vulkan loader, used only where the system has none
#   lib/cxx/                   libstdc++ and libgcc_s, used only where the system's are too old
#   run.sh                     picks those fallbacks and starts the bench (test/gpu/run.sh)
# compressed (gzip, or GPU_BUNDLE_COMPRESS=xz) behind a shell header (test/gpu/sfx-header.sh).
# The file must stay within 64 MiB (what a borrowed GPU machine accepts): the build fails
# otherwise. The unpacked folder is left in bench-results/gpu/tabtrain-gpu/ to try here.
# Usage: npm run gpu-bundle   (docs/performance.md "GPU" says how to carry and run it)
set -euo pipefail
cd "$(dirname "$0")/.."

LIMIT=$((64 * 1024 * 1024))
out=${GPU_BUNDLE_OUT:-bench-results/gpu}
compress=${GPU_BUNDLE_COMPRESS:-gzip}
dir=$out/tabtrain-gpu
die() { echo "gpu-bundle: $*" >&2; exit 1; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
size() { stat -c %s "$1"; }

[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || die "builds a Linux x64 bundle, from a Linux x64 machine (this is $(uname -s)-$(uname -m))"
case $compress in gzip | xz) ;; *) die "GPU_BUNDLE_COMPRESS must be gzip or xz (got $compress)" ;; esac
command -v "$compress" >/dev/null || die "$compress is not installed"
dawn=node_modules/webgpu/dist/linux-x64/dawn.node
[ -f "$dawn" ] || die "$dawn is missing: run npm install (the webgpu package is a devDependency)"
[ -x node_modules/.bin/esbuild ] || die "node_modules/.bin/esbuild is missing: run npm install (esbuild comes with vite and tsx)"

rm -rf "$dir" "$out/tabtrain-gpu.run"
mkdir -p "$dir/lib/vulkan" "$dir/lib/cxx" "$dir/node_modules/webgpu/dist/linux-x64"

# 1. The bench and everything it imports, in one ES module. webgpu stays outside: its loader
# finds dawn.node beside itself (node_modules/webgpu/dist/<platform>). CommonJS parts of tfjs
# call require(), which an ES module lacks: the banner provides it.
node_modules/.bin/esbuild test/gpu/bench-dawn.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --legal-comments=eof --log-level=warning --outfile="$dir/bench.mjs" \
  --banner:js="import { createRequire as __tabtrainRequire } from 'node:module'; const require = __tabtrainRequire(import.meta.url);"

# 2. Node: this one (the bench was tried with it), without its symbols (95 -> 86 MB for Node 20).
node_bin=$(node -p process.execPath)
if command -v strip >/dev/null; then strip --strip-all -o "$dir/node" "$node_bin"; else cp "$node_bin" "$dir/node"; fi
chmod 755 "$dir/node"

# 3. Dawn: the package's loader (it also unmaps buffers on device.destroy) and one binary.
cp node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/LICENSE.md "$dir/node_modules/webgpu/"
cp "$dawn" "$dir/node_modules/webgpu/dist/linux-x64/"

# 4. Fallback libraries. A Vulkan loader: the system's, else Chromium's copy (Debian's chromium
# ships one; CI and the browser tests install chromium).
lib_path() { { ldconfig -p 2>/dev/null || true; } | awk -v n="$1" '$1 == n && /x86-64/ { sub(/.*=> /, ""); print; exit }'; }
vk=$(lib_path libvulkan.so.1)
[ -n "$vk" ] || vk=/usr/lib/chromium/libvulkan.so.1
[ -f "$vk" ] || die "no Vulkan loader to carry (libvulkan.so.1): apt-get install libvulkan1, or chromium"
cp -L "$vk" "$dir/lib/vulkan/libvulkan.so.1"
for l in libstdc++.so.6 libgcc_s.so.1; do
  p=$(lib_path "$l")
  [ -n "$p" ] || die "cannot find $l to carry"
  cp -L "$p" "$dir/lib/cxx/$l"
done

# 5. The launcher, and what is inside (with where each piece came from).
cp test/gpu/run.sh "$dir/run.sh"
chmod 755 "$dir/run.sh"
{
  echo "tabtrain GPU bundle, built $(date -u +%Y-%m-%dT%H:%M:%SZ) from commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "node $(node --version) from $node_bin; webgpu $(node -p "require('./node_modules/webgpu/package.json').version"); vulkan loader from $vk"
  echo
  (cd "$dir" && find . -type f ! -name MANIFEST.txt | sort | xargs sha256sum)
} > "$dir/MANIFEST.txt"

# 6. One file: the header, then the folder as a compressed tar. The header's line count tells
# tail where the archive starts; the archive's hash names the folder it unpacks into.
payload=$(mktemp)
trap 'rm -f "$payload"' EXIT
tar -C "$out" -cf - tabtrain-gpu | "$compress" -9 > "$payload"
id=$(sha256sum "$payload" | cut -c1-12)
skip=$(($(wc -l < test/gpu/sfx-header.sh) + 1))
sed -e "s/@ID@/$id/g" -e "s/@SKIP@/$skip/g" -e "s/@TOOL@/$compress/g" test/gpu/sfx-header.sh > "$out/tabtrain-gpu.run"
cat "$payload" >> "$out/tabtrain-gpu.run"
chmod 755 "$out/tabtrain-gpu.run"

total=$(size "$out/tabtrain-gpu.run")
echo "gpu-bundle: unpacked folder $dir:"
for f in node node_modules/webgpu/dist/linux-x64/dawn.node bench.mjs lib/vulkan/libvulkan.so.1 lib/cxx/libstdc++.so.6 lib/cxx/libgcc_s.so.1; do
  printf '  %-45s %s\n' "$f" "$(mib "$(size "$dir/$f")")"
done
printf '  %-45s %s\n' "(all)" "$(mib "$(du -sb "$dir" | cut -f1)")"
echo "gpu-bundle: $out/tabtrain-gpu.run ($compress): $(mib "$total") of the 64 MiB limit"
[ "$total" -le "$LIMIT" ] || die "$out/tabtrain-gpu.run is $(mib "$total"), over the 64 MiB limit: try GPU_BUNDLE_COMPRESS=xz"
