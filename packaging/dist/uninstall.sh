#!/bin/sh
# Remove what install.sh installed (same --prefix / PREFIX; default ~/.local). Leaves the user's
# own models (~/.local/share/forensic-viewer/models), cache and results alone.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/prefix.sh"
parse_prefix uninstall.sh 2,3 "$@"
for tool in forensic-viewer forensic-train; do
	link="$PREFIX/bin/$tool"
	# only our own links: a forensic-viewer installed otherwise (pip) stays
	if [ -L "$link" ] && [ "$(readlink "$link")" = "$APPDIR/forensic-viewer" ]; then
		rm -f "$link"
	fi
done
rm -f "$PREFIX/share/applications/forensic-viewer.desktop"
rm -f "$PREFIX/share/icons/hicolor/scalable/apps/forensic-viewer.svg"
rm -rf "$APPDIR"  # prefix.sh is read already: the function below outlives its file
refresh_desktop_caches
echo "removed Forensic Viewer from $PREFIX"
