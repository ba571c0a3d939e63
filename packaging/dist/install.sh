#!/bin/sh
# Install the Forensic Viewer folder this script sits in, for the current user.
#
#   ./install.sh                 installs into ~/.local (no root needed)
#   ./install.sh --prefix DIR    installs into DIR (e.g. /usr/local as root); PREFIX=DIR works too
#
# What it writes, and ./uninstall.sh (also copied to PREFIX/lib/forensic-viewer) removes:
#   PREFIX/lib/forensic-viewer/                         a copy of this folder (the program)
#   PREFIX/bin/forensic-viewer, PREFIX/bin/forensic-train    links to the program
#   PREFIX/share/applications/forensic-viewer.desktop   the desktop entry: the menu item and
#       "Open with Forensic Viewer" for the image types it lists (JPEG, PNG, TIFF, WebP, BMP, GIF)
#   PREFIX/share/icons/hicolor/scalable/apps/forensic-viewer.svg   the icon
# The desktop entry declares the image types; it does not make the viewer their default program.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/prefix.sh"
parse_prefix install.sh 2,14 "$@"
[ -x "$HERE/forensic-viewer" ] || { echo "install.sh: $HERE/forensic-viewer is missing: run this script from the unpacked folder" >&2; exit 1; }

mkdir -p "$PREFIX/lib" "$PREFIX/bin" "$PREFIX/share/applications" "$PREFIX/share/icons/hicolor/scalable/apps"
if [ "$HERE" != "$APPDIR" ]; then
	rm -rf "$APPDIR.new"
	cp -a "$HERE" "$APPDIR.new"
	rm -rf "$APPDIR"
	mv "$APPDIR.new" "$APPDIR"
fi
ln -sfn "$APPDIR/forensic-viewer" "$PREFIX/bin/forensic-viewer"
ln -sfn "$APPDIR/forensic-viewer" "$PREFIX/bin/forensic-train"
ICON="$PREFIX/share/icons/hicolor/scalable/apps/forensic-viewer.svg"
cp "$HERE/forensic-viewer.svg" "$ICON"
# The entry names the installed program and icon by absolute path, so it works for any PREFIX
# whether or not PREFIX/bin is on PATH.
sed -e "s|^Exec=.*|Exec=\"$APPDIR/forensic-viewer\" %F|" -e "s|^Icon=.*|Icon=$ICON|" \
	-e "\$a TryExec=$APPDIR/forensic-viewer" \
	"$HERE/forensic-viewer.desktop" >"$PREFIX/share/applications/forensic-viewer.desktop"
refresh_desktop_caches
echo "installed Forensic Viewer in $APPDIR"
echo "  commands: $PREFIX/bin/forensic-viewer, $PREFIX/bin/forensic-train"
echo "  menu entry and 'Open with' for images: $PREFIX/share/applications/forensic-viewer.desktop"
echo "  check it: $PREFIX/bin/forensic-viewer selftest; remove it: $APPDIR/uninstall.sh"
