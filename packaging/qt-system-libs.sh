#!/usr/bin/env bash
# The system libraries Qt's X11 platform plugin (xcb) needs but PySide6's wheels do not ship.
# Finds the missing ones with ldd (plus libxcb-cursor0, which Qt loads at run time), names their
# Debian/Ubuntu packages, and installs them with apt-get when it can (root, or sudo without a
# password); otherwise prints the one command that would, and exits 1.
# Usage: packaging/qt-system-libs.sh PYTHON [--list]   (the venv's python; used by `make run`)
#        --list: print the missing packages, one line, and install nothing (exit 1 if any).
set -u
py=${1:?usage: qt-system-libs.sh PYTHON [--list]}
list=${2:-}
qt=$("$py" -c 'import os, PySide6; print(os.path.join(os.path.dirname(PySide6.__file__), "Qt"))') || exit 1
libs=$( { ldd "$qt/plugins/platforms/libqxcb.so"; ldd "$qt/lib/libQt6XcbQpa.so.6"; } 2>/dev/null \
	| awk '/=> not found/ {print $1}' | sort -u)
/sbin/ldconfig -p 2>/dev/null | grep -q 'libxcb-cursor\.so\.0' || libs="$libs libxcb-cursor.so.0"
[ -n "${libs// /}" ] || exit 0

# Debian names a library package after its soname: libfoo.so.N -> libfooN, or libfoo-N when the
# name ends in a digit (libxcb-icccm.so.4 -> libxcb-icccm4, libxkbcommon-x11.so.0 -> libxkbcommon-x11-0).
pkgs=""
for lib in $libs; do
	base=${lib%%.so.*}
	ver=${lib##*.so.}
	ver=${ver%%.*}
	case $base in *[0-9]) name="$base-$ver" ;; *) name="$base$ver" ;; esac
	pkgs="$pkgs $(echo "$name" | tr '[:upper:]' '[:lower:]')"
done
pkgs=${pkgs# }
if [ "$list" = --list ]; then
	echo "$pkgs"
	exit 1
fi
echo "Qt's X11 plugin needs system libraries that are missing: $pkgs"
if ! command -v apt-get >/dev/null 2>&1; then
	echo "install them with your system's package manager (libraries: $(echo $libs))" >&2
	exit 1
fi
if [ "$(id -u)" = 0 ]; then
	as=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	as="sudo"
else
	echo "run: sudo apt-get install -y $pkgs   (then make run again)" >&2
	exit 1
fi
$as apt-get update -qq && $as apt-get install -y -qq $pkgs
