# Shared by install.sh and release.sh (sourced, not run): the repository root, the crate
# version, where cargo puts binaries, and Terraform's name for a platform.

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cargo="${CARGO:-cargo}"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
binary_name="terraform-provider-alicr"

# Terraform's OS_ARCH for a Rust target triple; empty when Terraform has no such platform.
terraform_platform() {
  local os arch
  case "$1" in
    x86_64-*) arch=amd64 ;;
    aarch64-*) arch=arm64 ;;
    i686-* | i586-*) arch=386 ;;
    arm-* | armv7-*) arch=arm ;;
    *) return 0 ;;
  esac
  case "$1" in
    *-linux-*) os=linux ;;
    *-apple-darwin) os=darwin ;;
    *-windows-*) os=windows ;;
    *-freebsd) os=freebsd ;;
    *) return 0 ;;
  esac
  echo "${os}_${arch}"
}

# The triple rustc builds for by default.
host_triple() {
  rustc -vV | sed -n 's/^host: //p'
}

# Builds the provider in release mode for `$1` (a triple); prints the binary's path. The host
# build goes to target/release, shared with `make install`, `make bench` and plain
# `cargo build --release`, so it is only compiled once.
# `$2`, when given, is an extra cargo flag such as --locked.
build_release() {
  local triple="$1"
  local flags=(--release --bin "$binary_name" ${2:+"$2"})
  if [ "$triple" = "$(host_triple)" ]; then
    "$cargo" build "${flags[@]}" >&2 || return 1
    echo "$target_dir/release/$binary_name"
  else
    "$cargo" build "${flags[@]}" --target "$triple" >&2 || return 1
    echo "$target_dir/$triple/release/$binary_name"
  fi
}
