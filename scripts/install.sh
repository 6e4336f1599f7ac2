#!/usr/bin/env bash
# 离线安装 childplan（无需联网）/ Install childplan with no network, from this bundle.
#
#   ./install.sh                 安装到 ~/childplan 并启动 / install into ~/childplan and start
#   ./install.sh --prefix DIR    安装到 DIR / install into DIR
#   ./install.sh --port 8601     用其他端口启动 / start on another port
#   ./install.sh --address 0.0.0.0   让内网其他电脑访问 / serve the intranet (default: this machine only)
#   ./install.sh --no-start      只安装不启动 / install only
#
# Needs python3 (>= 3.11, the version in TAG) with its venv module; nothing else, no network.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${CHILDPLAN_PREFIX:-$HOME/childplan}
PYTHON=${PYTHON:-python3}
PORT=8501
ADDRESS=127.0.0.1
START=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --address) ADDRESS=$2; shift 2 ;;
    --python) PYTHON=$2; shift 2 ;;
    --no-start) START=0; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "未知参数 / unknown option: $1" >&2; exit 2 ;;
  esac
done
[ -n "$PREFIX" ] || { echo "--prefix 不能为空 / --prefix must not be empty" >&2; exit 2; }
PREFIX=$(mkdir -p "$PREFIX" && cd "$PREFIX" && pwd)
say() { printf '%s\n' "$*"; }
die() { printf '错误 / error: %s\n' "$*" >&2; exit 1; }

# 1. the bundle is whole
if command -v sha256sum >/dev/null 2>&1; then
  (cd "$HERE" && sha256sum --quiet -c SHA256SUMS) \
    || die "安装包文件不完整或已损坏，请重新拷贝 / the bundle is incomplete or damaged; copy it again"
fi

# 2. a Python the wheels were built for
command -v "$PYTHON" >/dev/null 2>&1 || die "找不到 $PYTHON，请先安装 Python 3.11 / $PYTHON not found; install Python 3.11"
WANT=$(cat "$HERE/TAG")
HAVE=$("$PYTHON" -c 'import platform, sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}-{platform.machine()}")')
[ "$HAVE" = "$WANT" ] || die "本安装包适用于 $WANT，本机是 $HAVE；请用对应的 Python（--python 路径）或重新制作安装包 / this bundle is for $WANT, this machine has $HAVE; use a matching Python (--python PATH) or build a bundle on a machine like this one"
"$PYTHON" -c 'import ensurepip, venv' 2>/dev/null \
  || die "Python 缺少 venv 模块（Debian/麒麟/统信：安装 python3-venv）/ Python lacks the venv module (Debian: install python3-venv)"

# 3. a new virtual environment, every package from wheels/ (no index, no network)
say "== 安装到 / installing into $PREFIX"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
start=$(date +%s)
rm -rf "$PREFIX/venv"   # an older release is replaced; saved scenarios live elsewhere (~/.childplan)
"$PYTHON" -m venv "$PREFIX/venv"
"$PREFIX/venv/bin/python" -m pip install -q --no-index --find-links "$HERE/wheels" childplan
ln -sf "$PREFIX/venv/bin/childplan" "$PREFIX/childplan"
say "   用时 / took $(( $(date +%s) - start )) s; $("$PREFIX/venv/bin/childplan" --version)"

# 4. a CJK font, so Chinese shows as characters in PNG/PDF exports
has_cjk() {
  for f in /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc /usr/share/fonts/truetype/wqy/wqy-microhei.ttc \
           "${XDG_DATA_HOME:-$HOME/.local/share}/fonts/NotoSansCJK-Regular.ttc"; do
    [ -e "$f" ] && return 0
  done
  command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .
}
if ! has_cjk && ls "$HERE"/debs/*.deb >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    say "== 安装中文字体 / installing the CJK font (dpkg)"
    dpkg -i "$HERE"/debs/*.deb >/dev/null
  else
    say "== 安装中文字体到用户目录 / installing the CJK font for this user"
    fonts="${XDG_DATA_HOME:-$HOME/.local/share}/fonts"
    tmp=$(mktemp -d)
    mkdir -p "$fonts"
    for deb in "$HERE"/debs/*.deb; do dpkg-deb -x "$deb" "$tmp"; done
    find "$tmp" -name 'NotoSansCJK-Regular.ttc' -exec cp {} "$fonts/" \;
    rm -rf "$tmp"
  fi
  rm -f "$HOME"/.cache/matplotlib/fontlist-*.json  # matplotlib re-reads the fonts
fi

say "以后启动 / to start later:  $PREFIX/childplan app --port $PORT"
if [ "$START" -eq 1 ]; then
  exec "$PREFIX/venv/bin/childplan" app --port "$PORT" --address "$ADDRESS"
fi
