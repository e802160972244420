#!/usr/bin/env bash
# Checks the package as users get it: builds, packs it with `npm pack`, installs the tarball
# into an empty project (dependencies from the npm registry), and runs the installed `shmkit`
# command there: `npx shmkit ls --json` must print a JSON array, `--version` the package's
# version. Everything it makes lives in one temporary directory, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d "${TMPDIR:-/tmp}/shmkit-pack-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== build"
npm run build --silent

echo "== npm pack"
tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
tarball="$work/$tarball"
[ -f "$tarball" ] || { echo "pack-check: npm pack made no tarball ($tarball)" >&2; exit 1; }
# The listing goes to a file first: under pipefail, `tar | grep -q` fails whenever grep stops
# reading early and tar dies of SIGPIPE, i.e. exactly when the file is found.
tar tzf "$tarball" > "$work/contents.txt"
if ! grep -qx 'package/dist/cli/main.js' "$work/contents.txt"; then
  echo "pack-check: the tarball has no dist/cli/main.js (the shmkit command)" >&2
  exit 1
fi

echo "== npm install $(basename "$tarball") into an empty project"
app="$work/app"
mkdir "$app"
(
  cd "$app"
  npm init -y >/dev/null
  npm install --no-audit --no-fund --loglevel=error "$tarball" >/dev/null
)

echo "== npx shmkit ls --json"
output=$(cd "$app" && npx --no -- shmkit ls --json)
printf '%s\n' "$output" | node -e '
  const text = require("node:fs").readFileSync(0, "utf8");
  let value;
  try { value = JSON.parse(text); } catch (error) { console.error(`pack-check: not JSON: ${error.message}\n${text}`); process.exit(1); }
  if (!Array.isArray(value)) { console.error(`pack-check: not a JSON array:\n${text}`); process.exit(1); }
  console.log(`a JSON array of ${value.length} section(s)`);
'

expected=$(node -p 'require("./package.json").version')
actual=$(cd "$app" && npx --no -- shmkit --version)
if [ "$actual" != "$expected" ]; then
  echo "pack-check: shmkit --version printed '$actual', expected '$expected'" >&2
  exit 1
fi
# The bridge is a subpath export whose peer (ioredis) this project did not install: the
# core and shmkit/bridge must load, and only starting a bridge fails, with the typed error.
echo "== import shmkit and shmkit/bridge without ioredis"
(cd "$app" && node --input-type=module -e '
  const core = await import("shmkit");
  if (typeof core.Pool !== "function" || typeof core.Namespace !== "function") throw new Error("shmkit exports no Pool/Namespace");
  const { startBridge } = await import("shmkit/bridge");
  try {
    await startBridge({ redis: "redis://127.0.0.1:1", namespace: "pack-check-unused" });
    throw new Error("startBridge without ioredis did not fail");
  } catch (error) {
    if (error.code !== "ERR_SHMKIT_BRIDGE_DEPENDENCY") throw error;
    console.log(`startBridge without ioredis: ${error.code}`);
  }
')
echo "== pack-check passed (shmkit $actual)"
