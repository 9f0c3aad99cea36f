#!/usr/bin/env bash
# `make dist-check`: proves `make release` and `make mirror` (scripts/dist_check.py says how).
# Installs, from Debian's packages, what the checks run besides terraform and python3:
# qemu-user (to run the linux_arm64 binary), libc6-arm64-cross (the C library it loads), gpg
# and openssl. The cross-build tools themselves are installed by `make release` on first use.
# Takes minutes the first time (three release builds with LTO); later runs reuse target/cross.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v qemu-aarch64 >/dev/null 2>&1 || command -v qemu-aarch64-static >/dev/null 2>&1 ||
  missing+=(qemu-user)
[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || missing+=(libc6-arm64-cross)
command -v gpg >/dev/null 2>&1 || missing+=(gpg)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v unzip >/dev/null 2>&1 || missing+=(unzip)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "dist-check: installing ${missing[*]} (Debian packages)" >&2
  sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
command -v terraform >/dev/null 2>&1 || {
  echo "dist-check: the terraform CLI is not on PATH (Terraform >= 1.0 is needed)" >&2
  exit 1
}

exec python3 scripts/dist_check.py
