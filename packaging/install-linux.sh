#!/usr/bin/env bash
# Install the built app (dist/health-wallet) for one user or system-wide, with its menu
# entry, icons and AppStream metadata.
#
#   packaging/install-linux.sh                    into ~/.local (no root needed)
#   sudo packaging/install-linux.sh --prefix /usr/local
#   packaging/install-linux.sh --uninstall [--prefix DIR]
#
# Layout under PREFIX: lib/health-wallet/ (the app folder), bin/health-wallet (a link),
# share/applications/health-wallet.desktop, share/icons/hicolor/NxN/apps/health-wallet.png
# (+ scalable SVG), share/metainfo/org.healthwallet.HealthWallet.metainfo.xml.
set -euo pipefail
cd "$(dirname "$0")/.."

PREFIX="$HOME/.local"
ACTION=install
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) PREFIX=$2; shift 2 ;;
        --uninstall) ACTION=uninstall; shift ;;
        *) echo "usage: $0 [--prefix DIR] [--uninstall]" >&2; exit 2 ;;
    esac
done

SIZES="16 32 48 64 128 256 512"
app_dir="$PREFIX/lib/health-wallet"
files=("$PREFIX/bin/health-wallet" "$PREFIX/share/applications/health-wallet.desktop"
       "$PREFIX/share/metainfo/org.healthwallet.HealthWallet.metainfo.xml"
       "$PREFIX/share/icons/hicolor/scalable/apps/health-wallet.svg")
for size in $SIZES; do files+=("$PREFIX/share/icons/hicolor/${size}x${size}/apps/health-wallet.png"); done

if [ "$ACTION" = uninstall ]; then
    rm -f "${files[@]}"
    rm -rf "$app_dir"
    echo "removed Health Wallet from $PREFIX (wallet data folders are kept)"
    exit 0
fi

[ -x dist/health-wallet/health-wallet ] || { echo "build first: packaging/build-linux.sh" >&2; exit 1; }
mkdir -p "$PREFIX/lib" "$PREFIX/bin" "$PREFIX/share/applications" "$PREFIX/share/metainfo" \
         "$PREFIX/share/icons/hicolor/scalable/apps"
rm -rf "$app_dir.new"
cp -a dist/health-wallet "$app_dir.new"
rm -rf "$app_dir"
mv "$app_dir.new" "$app_dir"
ln -sfn "$app_dir/health-wallet" "$PREFIX/bin/health-wallet"
# the menu entry starts the installed executable even when PREFIX/bin is not on PATH
sed -e "s|^Exec=health-wallet|Exec=$app_dir/health-wallet|" \
    -e "s|^TryExec=health-wallet|TryExec=$app_dir/health-wallet|" \
    assets/health-wallet.desktop >"$PREFIX/share/applications/health-wallet.desktop"
install -m 0644 assets/org.healthwallet.HealthWallet.metainfo.xml "$PREFIX/share/metainfo/"
install -m 0644 assets/health-wallet.svg "$PREFIX/share/icons/hicolor/scalable/apps/health-wallet.svg"
for size in $SIZES; do
    mkdir -p "$PREFIX/share/icons/hicolor/${size}x${size}/apps"
    install -m 0644 "assets/icons/health-wallet-$size.png" \
        "$PREFIX/share/icons/hicolor/${size}x${size}/apps/health-wallet.png"
done
command -v update-desktop-database >/dev/null && update-desktop-database -q "$PREFIX/share/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$PREFIX/share/icons/hicolor" || true
echo "installed Health Wallet in $app_dir; run: $PREFIX/bin/health-wallet"
