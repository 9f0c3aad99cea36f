# Sourced by release.sh (not run): installs, on first use, what the cross builds need, each from
# a package registry, pinned, and without touching the system Python:
#   - zig, from PyPI's `ziglang` package, in a virtualenv under target/cross-tools/venv: the C
#     compiler and linker for every target (aws-lc-sys compiles C, and zig links for another
#     architecture or OS without a sysroot of its own);
#   - cargo-zigbuild, from crates.io (`cargo install --locked`), which wires zig into cargo as
#     the linker and the `cc` crate's compiler, and pins glibc to an old version for Linux;
#   - the Rust standard library of each target (`rustup target add`).
# Override the pins with ZIGLANG_VERSION / CARGO_ZIGBUILD_VERSION.

ziglang_version="${ZIGLANG_VERSION:-0.15.2}"
cargo_zigbuild_version="${CARGO_ZIGBUILD_VERSION:-0.24.1}"
cross_tools_dir="${CROSS_TOOLS_DIR:-$root/target/cross-tools}"

# Puts zig (through the venv's python3, which cargo-zigbuild runs as `python3 -m ziglang`) and
# cargo-zigbuild on PATH, installing them when missing.
ensure_zig_tools() {
  local venv="$cross_tools_dir/venv"
  if ! "$venv/bin/python3" -m ziglang version 2>/dev/null | grep -qx "$ziglang_version"; then
    echo "release: installing zig $ziglang_version (PyPI ziglang) into $venv" >&2
    mkdir -p "$cross_tools_dir"
    python3 -m venv "$venv" >&2 || {
      echo "release: python3 -m venv failed (on Debian: apt-get install python3-venv)" >&2
      return 1
    }
    "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check \
      "ziglang==$ziglang_version" >&2 || return 1
  fi
  export PATH="$venv/bin:$PATH"
  local cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
  export PATH="$PATH:$cargo_bin"
  if ! cargo-zigbuild --version 2>/dev/null | grep -q " $cargo_zigbuild_version\$"; then
    echo "release: installing cargo-zigbuild $cargo_zigbuild_version (crates.io)" >&2
    "$cargo" install --locked --quiet cargo-zigbuild --version "$cargo_zigbuild_version" >&2 || return 1
  fi
}

# rustup target add, for each triple not installed yet.
ensure_rust_targets() {
  local installed triple
  installed="$(rustup target list --installed 2>/dev/null || true)"
  for triple in "$@"; do
    if ! grep -qx "$triple" <<<"$installed"; then
      echo "release: rustup target add $triple" >&2
      rustup target add "$triple" >&2 || return 1
    fi
  done
}
