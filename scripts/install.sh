#!/usr/bin/env bash
# `make install`: build the provider in release mode and copy it into Terraform's implied local
# mirror, ~/.terraform.d/plugins/registry.terraform.io/alicr/alicr/VERSION/OS_ARCH/, so a plain
# `terraform init` with `source = "alicr/alicr"` installs it offline — no dev_overrides, no
# registry. (Terraform only looks there when the CLI configuration has no
# provider_installation block.)
set -euo pipefail
source "$(dirname "$0")/common.sh"

[ -n "${HOME:-}" ] || { echo "install: HOME is not set" >&2; exit 1; }
platform="$(terraform_platform "$(host_triple)")"
[ -n "$platform" ] || { echo "install: Terraform has no platform for $(host_triple)" >&2; exit 1; }

binary="$(build_release "$(host_triple)")"
dest="$HOME/.terraform.d/plugins/registry.terraform.io/alicr/alicr/$version/$platform"
mkdir -p "$dest"
install -m 0755 "$binary" "$dest/${binary_name}_v$version"
echo "installed alicr/alicr $version ($platform) into $dest"
