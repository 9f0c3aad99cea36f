#!/usr/bin/env bash
# `make demo`: validate and plan examples/demo with the freshly built provider, through
# Terraform's dev_overrides (no registry, no network).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
command -v terraform >/dev/null 2>&1 || { echo "demo: the terraform CLI is not installed" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$root/examples/demo/main.tf" "$work/"
cat > "$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "alicr/alicr" = "$root/target/debug"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraformrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
cd "$work"
echo "==> terraform validate"
terraform validate -no-color
echo
echo "==> terraform plan (the rendered policy and trust policy are known at plan time)"
terraform plan -no-color -input=false
