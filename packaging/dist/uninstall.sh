#!/bin/sh
# Remove what install.sh installed (same --prefix / PREFIX; default ~/.local). Leaves the user's
# own models (~/.local/share/forensic-viewer/models), cache and results alone.
set -eu
PREFIX=${PREFIX:-$HOME/.local}
while [ $# -gt 0 ]; do
	case "$1" in
	--prefix) PREFIX=$2; shift 2 ;;
	--prefix=*) PREFIX=${1#--prefix=}; shift ;;
	-h | --help) sed -n '2,3p' "$0"; exit 0 ;;
	*) echo "uninstall.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
	esac
done
APPDIR="$PREFIX/lib/forensic-viewer"
for tool in forensic-viewer forensic-train; do
	link="$PREFIX/bin/$tool"
	# only our own links: a forensic-viewer installed otherwise (pip) stays
	if [ -L "$link" ] && [ "$(readlink "$link")" = "$APPDIR/forensic-viewer" ]; then
		rm -f "$link"
	fi
done
rm -f "$PREFIX/share/applications/forensic-viewer.desktop"
rm -f "$PREFIX/share/icons/hicolor/scalable/apps/forensic-viewer.svg"
rm -rf "$APPDIR"
if command -v update-desktop-database >/dev/null 2>&1; then
	update-desktop-database -q "$PREFIX/share/applications" || true
fi
if [ -f "$PREFIX/share/icons/hicolor/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
	gtk-update-icon-cache -q -t "$PREFIX/share/icons/hicolor" || true
fi
echo "removed Forensic Viewer from $PREFIX"
