# Sourced by install.sh and uninstall.sh (shipped beside them in the unpacked folder and in
# PREFIX/lib/forensic-viewer): the one reading of --prefix / $PREFIX, where the program goes,
# and the one refresh of the desktop's caches.

# parse_prefix SCRIPT HELP_LINES ARGS...: sets PREFIX (--prefix DIR, --prefix=DIR, else $PREFIX,
# else ~/.local), made absolute, and APPDIR; --help prints lines HELP_LINES (a sed range) of the
# calling script.
parse_prefix() {
	script=$1 help=$2
	shift 2
	PREFIX=${PREFIX:-$HOME/.local}
	while [ $# -gt 0 ]; do
		case "$1" in
		--prefix)
			# checked first: under set -u a missing $2 stopped the script with "2: parameter not set"
			[ $# -ge 2 ] || { echo "$script: --prefix needs a folder (--prefix DIR)" >&2; exit 2; }
			PREFIX=$2; shift 2 ;;
		--prefix=*) PREFIX=${1#--prefix=}; shift ;;
		-h | --help) sed -n "${help}p" "$0"; exit 0 ;;
		*) echo "$script: unknown argument $1 (try --help)" >&2; exit 2 ;;
		esac
	done
	absolute_prefix "$script"
	APPDIR="$PREFIX/lib/forensic-viewer"
}

# absolute_prefix SCRIPT: PREFIX as an absolute path. The links in PREFIX/bin and the desktop
# entry's Exec name the program by PREFIX: a relative one made links that point nowhere and an
# entry that runs nothing, and "--prefix=~/x" (no shell expands that ~) a folder named "~".
# A leading ~ or ~/ is the home folder; another relative path is taken from the current folder.
absolute_prefix() {
	case "$PREFIX" in
	"") echo "$1: --prefix needs a folder (an empty one was given)" >&2; exit 2 ;;
	"~") PREFIX=$HOME ;;
	"~/"*) PREFIX="$HOME/${PREFIX#"~/"}" ;;
	"~"*) echo "$1: --prefix $PREFIX: give another user's folder as a full path" >&2; exit 2 ;;
	/*) ;;
	*) PREFIX="$(pwd)/$PREFIX" ;;
	esac
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
