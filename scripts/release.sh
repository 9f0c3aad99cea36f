#!/usr/bin/env bash
# `make release`: the files the Terraform Registry (or a network mirror) serves for one version,
# in $DIST_DIR (default dist/):
#   terraform-provider-alicr_VERSION_OS_ARCH.zip   one per platform, holding terraform-provider-alicr_vVERSION
#                                                  (.exe on Windows)
#   terraform-provider-alicr_VERSION_manifest.json a copy of terraform-registry-manifest.json
#   terraform-provider-alicr_VERSION_SHA256SUMS    sha256 of every zip and the manifest
#   terraform-provider-alicr_VERSION_SHA256SUMS.sig  a detached GPG signature of SHA256SUMS, by
#                                                  the key GPG_FINGERPRINT names (only when set)
# and release notes saying how to verify them in $RELEASE_NOTES_FILE (default
# target/cross/release-notes-VERSION.md; kept out of dist/ so dist/ is exactly the Registry's set).
#
# Platforms (RELEASE_PLATFORMS, Terraform's OS_ARCH names separated by spaces or commas):
#   default on Linux: linux_amd64 linux_arm64 windows_amd64, cross-built with cargo-zigbuild and
#     zig (installed on first use, see scripts/cross-tools.sh); Linux binaries need glibc >= 2.17.
#     darwin_amd64 darwin_arm64 are added when SDKROOT points at a macOS SDK (zig links Apple's
#     Security and CoreFoundation frameworks only from one); otherwise they come from the macOS
#     job of .github/workflows/release.yml.
#   default on macOS: darwin_amd64 darwin_arm64, built natively.
#   `host`: only this machine's platform, built by plain cargo into target/release (what
#     `make install` and `make bench` share): the fast path for tests.
# Cross builds use their own target directory, target/cross (CROSS_TARGET_DIR), so they never
# wait for the lock of target/ that everyday builds hold.
# Every requested platform must build; a failure stops the release.
# Zips are deterministic: fixed timestamps and modes, so the same binaries give the same checksums.
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/cross-tools.sh"

dist="${DIST_DIR:-$root/dist}"
mkdir -p "$dist"
dist="$(cd "$dist" && pwd)"
prefix="${binary_name}_${version}"
cross_target_dir="${CROSS_TARGET_DIR:-$root/target/cross}"
host="$(host_triple)"
host_platform="$(terraform_platform "$host")"

# The Rust target triple of a Terraform platform (the GNU ABI everywhere but macOS: zig links
# windows-gnu without any Microsoft SDK).
platform_triple() {
  case "$1" in
    linux_amd64) echo x86_64-unknown-linux-gnu ;;
    linux_arm64) echo aarch64-unknown-linux-gnu ;;
    windows_amd64) echo x86_64-pc-windows-gnu ;;
    darwin_amd64) echo x86_64-apple-darwin ;;
    darwin_arm64) echo aarch64-apple-darwin ;;
    *) return 1 ;;
  esac
}

if [ -n "${RELEASE_PLATFORMS:-}" ]; then
  read -r -a platforms <<<"${RELEASE_PLATFORMS//,/ }"
else
  case "$host" in
    *-apple-darwin) platforms=(darwin_amd64 darwin_arm64) ;;
    *)
      platforms=(linux_amd64 linux_arm64 windows_amd64)
      [ -n "${SDKROOT:-}" ] && platforms+=(darwin_amd64 darwin_arm64)
      ;;
  esac
fi
[ "${#platforms[@]}" -gt 0 ] || { echo "release: RELEASE_PLATFORMS names no platform" >&2; exit 1; }

# Validate the whole list before building anything.
triples=()
needs_zig=0
for platform in "${platforms[@]}"; do
  if [ "$platform" = host ]; then
    [ -n "$host_platform" ] || { echo "release: Terraform has no platform for $host" >&2; exit 1; }
    triples+=(host)
    continue
  fi
  triple="$(platform_triple "$platform")" || {
    echo "release: unknown platform '$platform' (known: linux_amd64 linux_arm64 windows_amd64 darwin_amd64 darwin_arm64, or host)" >&2
    exit 1
  }
  case "$platform:$host" in
    darwin_*:*-apple-darwin) ;;
    darwin_*:*)
      if [ -z "${SDKROOT:-}" ]; then
        echo "release: $platform needs Apple's SDK to link (the Security and CoreFoundation frameworks);" >&2
        echo "release: set SDKROOT to a macOS SDK, or build it on macOS (.github/workflows/release.yml does)" >&2
        exit 1
      fi
      needs_zig=1
      ;;
    *) needs_zig=1 ;;
  esac
  triples+=("$triple")
done

if [ "$needs_zig" = 1 ]; then
  ensure_zig_tools
fi
real_triples=()
for triple in "${triples[@]}"; do [ "$triple" = host ] || real_triples+=("$triple"); done
if [ "${#real_triples[@]}" -gt 0 ]; then
  ensure_rust_targets "${real_triples[@]}"
fi

# Builds one platform; prints the binary's path.
build_platform() {
  local platform="$1" triple="$2" exe=""
  case "$platform" in windows_*) exe=".exe" ;; esac
  if [ "$triple" = host ]; then
    build_release "$host" --locked
    return
  fi
  local flags=(--release --locked --bin "$binary_name")
  case "$platform:$host" in
    darwin_*:*-apple-darwin)
      CARGO_TARGET_DIR="$cross_target_dir" "$cargo" build "${flags[@]}" --target "$triple" >&2
      ;;
    linux_*)
      # triple.2.17: link against glibc 2.17's symbol versions, so the binary runs on any
      # distribution Terraform supports, not just ones as new as this machine.
      CARGO_TARGET_DIR="$cross_target_dir" "$cargo" zigbuild "${flags[@]}" --target "$triple.2.17" >&2
      ;;
    *)
      CARGO_TARGET_DIR="$cross_target_dir" "$cargo" zigbuild "${flags[@]}" --target "$triple" >&2
      ;;
  esac
  echo "$cross_target_dir/$triple/release/$binary_name$exe"
}

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

rm -f "$dist/${prefix}"_*.zip "$dist/${prefix}_manifest.json" \
  "$dist/${prefix}_SHA256SUMS" "$dist/${prefix}_SHA256SUMS.sig"

for i in "${!platforms[@]}"; do
  platform="${platforms[$i]}"
  triple="${triples[$i]}"
  [ "$platform" = host ] && platform="$host_platform"
  echo "release: building $platform ($triple)" >&2
  binary="$(build_platform "$platform" "$triple")" || {
    echo "release: the $platform build failed" >&2
    exit 1
  }
  [ -f "$binary" ] || { echo "release: $platform: no binary at $binary" >&2; exit 1; }
  suffix=""
  case "$platform" in windows_*) suffix=".exe" ;; esac
  deterministic_zip "$dist/${prefix}_${platform}.zip" "$binary" "${binary_name}_v${version}${suffix}"
done

DIST_DIR="$dist" bash "$root/scripts/checksums.sh"
case " ${platforms[*]} " in
  *" darwin_"*) ;;
  *) [ "${RELEASE_PLATFORMS:-}" = host ] ||
    echo "release: darwin_amd64/darwin_arm64 are not built here (linking needs Apple's SDK; set SDKROOT to one); .github/workflows/release.yml builds them on macOS" >&2 ;;
esac
