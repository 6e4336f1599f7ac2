#!/usr/bin/env bash
# Debian packages the project needs beyond Python: Chromium (end-to-end browser tests), a CJK
# font (Chinese text in PNG/PDF exports) and poppler-utils (tests read the PDFs back). Idempotent; skips what
# is already installed.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)  # PDF pages to PNG/text in tests
command -v strace >/dev/null 2>&1 || need+=(strace)  # the no-outbound-connection test watches syscalls
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "Installing Debian packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
