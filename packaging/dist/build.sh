#!/usr/bin/env bash
# `make dist`: the one-folder frozen build dist/forensic-viewer/ and its tarball.
#
#   PY=.venv/bin/python bash packaging/dist/build.sh      (PY: an environment with the project,
#                                                          its dependencies and PyInstaller)
#
# Steps: PyInstaller runs packaging/dist/forensic-viewer.spec (one program, its libraries, the
# bundled models and samples); forensic-train becomes a link to forensic-viewer (the frozen
# program picks the tool by the name it is started under); the install and uninstall scripts,
# the desktop entry and the icon are copied beside it; the folder is packed as
# dist/forensic-viewer-VERSION-linux-ARCH.tar.gz (GZIP_LEVEL, default 6). Nothing is downloaded.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PY=${PY:-.venv/bin/python}
OUT=${OUT:-dist}
WORK=${WORK:-build/pyinstaller}
GZIP_LEVEL=${GZIP_LEVEL:-6}

"$PY" -c "import PyInstaller" 2>/dev/null || {
	echo "build.sh: PyInstaller is not installed in $PY (pip install -e '.[dev]')" >&2
	exit 2
}
nice "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
	--distpath "$OUT" --workpath "$WORK" packaging/dist/forensic-viewer.spec
APP="$OUT/forensic-viewer"
ln -sfn forensic-viewer "$APP/forensic-train"
cp packaging/dist/install.sh packaging/dist/uninstall.sh packaging/dist/prefix.sh "$APP/"
cp packaging/forensic-viewer.desktop resources/icons/forensic-viewer.svg "$APP/"
chmod +x "$APP/install.sh" "$APP/uninstall.sh"

version=$("$PY" -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])")
TARBALL="$OUT/forensic-viewer-$version-linux-$(uname -m).tar.gz"
tar -C "$OUT" -cf - forensic-viewer | nice gzip "-$GZIP_LEVEL" >"$TARBALL"
echo "built $APP ($(du -sh "$APP" | cut -f1)) and $TARBALL ($(du -sh "$TARBALL" | cut -f1))"
