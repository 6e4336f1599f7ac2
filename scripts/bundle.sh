#!/usr/bin/env bash
# `make bundle`: one archive a county can carry to an intranet machine with no network.
#
#   build/childplan-<version>-<cpXY>-<arch>-offline.tar.gz
#     wheels/        the childplan wheel and every dependency for this platform and Python
#     debs/          Debian packages the app needs at run time (the CJK font for PNG/PDF exports)
#     install.sh     installs into a new virtual environment with pip --no-index, starts the app
#     安装说明.txt    short instructions in Chinese
#     CHANGELOG.md, SHA256SUMS, TAG (the Python/CPU the wheels are for, e.g. cp311-x86_64)
#
# Needs the network (PyPI, the Debian mirror) on the machine that builds it, never on the one
# that installs it. Downloads are cached under $BUILD (wheelhouse/, debs/): a second build only
# asks the index what is newest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
BUILD=${BUILD:-build}
DEBS=${BUNDLE_DEBS:-fonts-noto-cjk}
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)

VERSION=$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
# The target: by default this machine's Python and CPU; another one (an ARM64 信创 server, or
# Debian 13's Python 3.13) with e.g.  make bundle BUNDLE_PYTHON=3.12 BUNDLE_ARCH=aarch64
# Wheels are manylinux up to BUNDLE_GLIBC (default 2.28: Kylin V10, UOS 20, Debian 10 and later),
# never whatever newer glibc the building machine happens to have.
tpy=${BUNDLE_PYTHON:-$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')}
tarch=${BUNDLE_ARCH:-$(uname -m)}
glibc=${BUNDLE_GLIBC:-2.28}
cp="cp${tpy/./}"
TARGET=(--python-version "$tpy" --implementation cp --abi "$cp" --abi abi3 --abi none
        --platform "manylinux2014_$tarch")
for minor in $(seq 5 "${glibc#2.}"); do TARGET+=(--platform "manylinux_2_${minor}_$tarch"); done
[ "$tarch" = x86_64 ] && TARGET+=(--platform manylinux2010_x86_64 --platform manylinux1_x86_64)
TARGET+=(--platform any)
TAG="$cp-$tarch"
NAME="childplan-$VERSION-$TAG-offline"
STAGE="$BUILD/$NAME"
rm -rf "$STAGE" "$BUILD/$NAME.tar.gz"
mkdir -p "$STAGE/wheels" "$STAGE/debs" "$BUILD/wheelhouse" "$BUILD/debs"
export PIP_DISABLE_PIP_VERSION_CHECK=1

echo "== wheel"
# setuptools stages files in ./build/lib and never prunes it: a file deleted from the tree would
# still ship. Start from nothing.
rm -rf "$BUILD/dist" build/lib build/bdist.* ./*.egg-info
"$PY" -m pip wheel -q --no-deps -w "$BUILD/dist" .
WHEEL=$(ls "$BUILD"/dist/childplan-"$VERSION"-*.whl)

echo "== wheelhouse (cached in $BUILD/wheelhouse)"
# pip download keeps a file already in the folder: an older childplan wheel of the same version
# would stand in for the new one (and its older dependency list)
rm -f "$BUILD"/wheelhouse/childplan-*.whl
"$PY" -m pip download -q --only-binary=:all: "${TARGET[@]}" -d "$BUILD/wheelhouse" "$WHEEL"
# Exactly the files an offline install resolves to (the cache may hold older versions too):
# resolving with --no-index here also proves the wheelhouse is complete.
"$PY" -m pip install -q --dry-run --ignore-installed --no-index --find-links "$BUILD/wheelhouse" \
    --only-binary=:all: "${TARGET[@]}" --report "$BUILD/resolve.json" "$WHEEL"
"$PY" - "$BUILD/resolve.json" "$STAGE/wheels" <<'EOF'
import json, shutil, sys
from pathlib import Path
from urllib.parse import unquote, urlparse

report, dest = json.load(open(sys.argv[1])), Path(sys.argv[2])
for item in report["install"]:
    src = Path(unquote(urlparse(item["download_info"]["url"]).path))
    shutil.copy2(src, dest / src.name)
print(f"{len(report['install'])} wheels")
EOF

echo "== Debian packages: $DEBS (cached in $BUILD/debs)"
for pkg in $DEBS; do
  if ! ls "$BUILD/debs/${pkg}"_*.deb >/dev/null 2>&1; then
    (cd "$BUILD/debs" && { apt-get download "$pkg" 2>/dev/null \
       || { ${SUDO:-} apt-get update -qq && apt-get download "$pkg"; }; })
  fi
  cp "$BUILD/debs/${pkg}"_*.deb "$STAGE/debs/"
done

echo "== scripts and notes"
cp scripts/install.sh "$STAGE/install.sh"
chmod +x "$STAGE/install.sh"
cp scripts/安装说明.txt CHANGELOG.md "$STAGE/"
echo "$TAG" > "$STAGE/TAG"
(cd "$STAGE" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum > SHA256SUMS)

echo "== archive"
# wheels and .debs are compressed already: gzip -1 costs little time for the same size
tar -C "$BUILD" -cf - "$NAME" | gzip -1 > "$BUILD/$NAME.tar.gz.tmp"
mv "$BUILD/$NAME.tar.gz.tmp" "$BUILD/$NAME.tar.gz"
rm -rf "$STAGE"
ls -l "$BUILD/$NAME.tar.gz"
