#!/usr/bin/env bash
# Runs the Wine suite (test/wine/*.test.mjs) on the Windows build of Node under Wine, against
# the build in dist/ (npm run build first). scripts/wine-setup.sh must have run, with the
# same SHMKIT_WINE_NODE (the Node major, 22 by default). Arguments pick test files by part
# of their name.
#
# The Windows node.exe must find koffi's win32 binary next to koffi, and ESM imports ignore
# NODE_PATH; so the run happens in .winnode/app, a copy of dist/ and test/ beside a
# node_modules of its own (koffi for win32 from .winnode/deps, the pure-JS dependencies
# copied from the repo's node_modules, which is never modified).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export WINEPREFIX=$root/.wine WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
export SHMKIT_WINE_RUN="w$(date +%s)"
wine=/usr/lib/wine/wine64
app=.winnode/app
node_exe=node-${SHMKIT_WINE_NODE:-22}.exe
[ -f dist/index.js ] || { echo "wine-test: no dist/; run npm run build first" >&2; exit 1; }
[ -f ".winnode/$node_exe" ] || { echo "wine-test: no .winnode/$node_exe; run scripts/wine-setup.sh first" >&2; exit 1; }

rm -rf "$app"
mkdir -p "$app/node_modules/@msgpack" "$app/test"
cp -r dist "$app/"
cp -r test/wine test/fixtures "$app/test/"
cp -r .winnode/deps/node_modules/koffi .winnode/deps/node_modules/@koromix "$app/node_modules/"
cp -rL node_modules/@msgpack/msgpack "$app/node_modules/@msgpack/"
cp -rL node_modules/async-mutex "$app/node_modules/"
[ -d node_modules/tslib ] && cp -rL node_modules/tslib "$app/node_modules/"
echo '{"name":"shmkit-wine-run","private":true,"type":"module"}' > "$app/package.json"

# node.exe dies (EBADF) when its stdout is a host pipe: write to a file, print it after.
log=$(mktemp)
started=$(date +%s)
set +e
(cd "$app" && timeout 1800 "$wine" "../$node_exe" --expose-gc test/wine/run.mjs "$@" >"$log" 2>&1)
rc=$?
set -e
cat "$log"
rm -f "$log"
timeout 30 /usr/lib/wine/wineserver -k || true
echo "wine-test: exit $rc after $(( $(date +%s) - started )) s"
exit $rc
