#!/usr/bin/env bash
# `make release`: the files the Terraform Registry (or a network mirror) serves for one version,
# in $DIST_DIR (default dist/):
#   terraform-provider-alicr_VERSION_OS_ARCH.zip   one per platform, holding terraform-provider-alicr_vVERSION
#   terraform-provider-alicr_VERSION_manifest.json a copy of terraform-registry-manifest.json
#   terraform-provider-alicr_VERSION_SHA256SUMS    sha256 of every zip and the manifest
# Platforms: the host, plus every other target installed with rustup that builds here (cross
# targets need their own linker; those that fail are reported and left out). Zips are
# deterministic: fixed timestamps and modes, so the same binaries give the same checksums.
# Signing SHA256SUMS for the public Registry (gpg --detach-sign) is left to the publisher.
set -euo pipefail
source "$(dirname "$0")/common.sh"

dist="${DIST_DIR:-$root/dist}"
mkdir -p "$dist"
dist="$(cd "$dist" && pwd)"
prefix="${binary_name}_${version}"
rm -f "$dist/${prefix}"_*.zip "$dist/${prefix}_manifest.json" "$dist/${prefix}_SHA256SUMS"

host="$(host_triple)"
targets=("$host")
if command -v rustup >/dev/null 2>&1; then
  while read -r triple; do
    [ -n "$triple" ] && [ "$triple" != "$host" ] && targets+=("$triple")
  done < <(rustup target list --installed)
fi

# Writes zip $1 holding file $2 under the name $3, executable, with a fixed timestamp.
deterministic_zip() {
  python3 - "$@" <<'PY'
import sys, zipfile
out, source, name = sys.argv[1:4]
entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
entry.create_system = 3  # Unix, so the mode below is honoured by unzip and Terraform
entry.external_attr = 0o100755 << 16
entry.compress_type = zipfile.ZIP_DEFLATED
with open(source, "rb") as f:
    data = f.read()
with zipfile.ZipFile(out, "w") as z:
    z.writestr(entry, data, compresslevel=9)
PY
}

built=0
for triple in "${targets[@]}"; do
  platform="$(terraform_platform "$triple")"
  if [ -z "$platform" ]; then
    echo "release: no Terraform platform for $triple; skipped" >&2
    continue
  fi
  if ! binary="$(build_release "$triple" --locked)"; then
    [ "$triple" = "$host" ] && { echo "release: the host build failed" >&2; exit 1; }
    echo "release: $triple does not build here (no cross linker?); skipped" >&2
    continue
  fi
  suffix=""
  case "$platform" in windows_*) suffix=".exe" ;; esac
  deterministic_zip "$dist/${prefix}_${platform}.zip" "$binary" "${binary_name}_v${version}${suffix}"
  built=$((built + 1))
done

cp "$root/terraform-registry-manifest.json" "$dist/${prefix}_manifest.json"
(
  cd "$dist"
  files=("${prefix}"_*.zip "${prefix}_manifest.json")
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "${files[@]}"
  else
    shasum -a 256 "${files[@]}"
  fi > "${prefix}_SHA256SUMS"
)
echo "release: $built platform(s) in $dist:"
ls -l "$dist" | sed -n "s/.* \(${prefix}_.*\)$/  \1/p"
