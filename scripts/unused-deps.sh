#!/usr/bin/env bash
# Part of `make lint`: fails when a Cargo.toml of the workspace declares a dependency its crate
# never names, using cargo-machete, installed from crates.io (`cargo install --locked`) on
# first use, pinned, into ~/.cargo/bin (its locked dependencies need Rust 1.88 or later to build).
# Override the pin with CARGO_MACHETE_VERSION.
# cargo-machete looks for each crate's name in the sources, so a crate only named by generated
# code needs an entry, with its reason, under [package.metadata.cargo-machete] in its Cargo.toml.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$root"

machete_version="${CARGO_MACHETE_VERSION:-0.9.2}"
export PATH="$PATH:${CARGO_HOME:-$HOME/.cargo}/bin"

if ! cargo-machete --version 2>/dev/null | grep -qx "$machete_version"; then
  echo "lint: installing cargo-machete $machete_version (crates.io)" >&2
  "$cargo" install --locked --quiet cargo-machete --version "$machete_version" >&2
fi
# Only the workspace's own crates: target/ holds packaged copies of dependencies.
cargo-machete --skip-target-dir
