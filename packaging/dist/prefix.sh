# Sourced by install.sh and uninstall.sh (shipped beside them in the unpacked folder and in
# PREFIX/lib/forensic-viewer): the one reading of --prefix / $PREFIX, where the program goes,
# and the one refresh of the desktop's caches.

# parse_prefix SCRIPT HELP_LINES ARGS...: sets PREFIX (--prefix DIR, --prefix=DIR, else $PREFIX,
# else ~/.local) and APPDIR; --help prints lines HELP_LINES (a sed range) of the calling script.
parse_prefix() {
	script=$1 help=$2
	shift 2
	PREFIX=${PREFIX:-$HOME/.local}
	while [ $# -gt 0 ]; do
		case "$1" in
		--prefix) PREFIX=$2; shift 2 ;;
		--prefix=*) PREFIX=${1#--prefix=}; shift ;;
		-h | --help) sed -n "${help}p" "$0"; exit 0 ;;
		*) echo "$script: unknown argument $1 (try --help)" >&2; exit 2 ;;
		esac
	done
	APPDIR="$PREFIX/lib/forensic-viewer"
}

# Refresh the caches "Open with" and the menus read, where the desktop has the tools. An icon
# cache is refreshed only where one exists: a new one would hide icons installed later.
refresh_desktop_caches() {
	if command -v update-desktop-database >/dev/null 2>&1; then
		update-desktop-database -q "$PREFIX/share/applications" || true
	fi
	if [ -f "$PREFIX/share/icons/hicolor/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
		gtk-update-icon-cache -q -t "$PREFIX/share/icons/hicolor" || true
	fi
}
