#!/usr/bin/env bash
# `make demo`: a one-screen tour of alicr_custom_oss_role against the bundled RAM emulator:
# init, apply, outputs, a no-op plan, an in-place bucket change, import into a fresh state, and
# destroy. Nothing leaves this machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
command -v terraform >/dev/null 2>&1 || { echo "demo: the terraform CLI is not installed (Terraform >= 1.0 is needed)" >&2; exit 1; }

version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)"
work="$(mktemp -d)"
emulator_pid=""
cleanup() {
  [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null && wait "$emulator_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# The provider, installed into a private filesystem mirror so `terraform init` works offline.
cat > "$work/terraformrc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["registry.terraform.io/alicr/alicr"]
  }
  direct {
    exclude = ["registry.terraform.io/alicr/alicr"]
  }
}
RC
export TF_CLI_CONFIG_FILE="$work/terraformrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
platform="$(terraform version -json | sed -n 's/.*"platform": *"\([^"]*\)".*/\1/p')"
mirror="$work/mirror/registry.terraform.io/alicr/alicr/$version/$platform"
mkdir -p "$mirror"
cp "$root/target/debug/terraform-provider-alicr" "$mirror/terraform-provider-alicr_v$version"

step "Starting the RAM emulator"
"$root/target/debug/alicr-emulator" --listen 127.0.0.1:0 > "$work/emulator.out" 2> "$work/emulator.log" &
emulator_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/emulator.out" 2>/dev/null && break
  sleep 0.05
done
endpoint="$(sed -n 's/^alicr-emulator listening on //p' "$work/emulator.out")"
[ -n "$endpoint" ] || { echo "demo: the emulator did not start" >&2; cat "$work/emulator.log" >&2; exit 1; }
echo "RAM emulator at $endpoint"

mkdir -p "$work/demo" "$work/imported"
cp "$root/examples/demo/main.tf" "$work/demo/"
cp "$root/examples/demo/main.tf" "$work/imported/"
tf() { terraform -chdir="$1" "${@:2}" -no-color; }
vars=(-var "endpoint=$endpoint")

step "terraform init"
tf "$work/demo" init -input=false | grep -E "Installing|Installed|initialized" || true

step "terraform apply (two buckets)"
tf "$work/demo" apply -auto-approve -input=false "${vars[@]}" | grep -E "Creat|Apply complete"
tf "$work/demo" output role_arn
tf "$work/demo" output -raw policy_document | head -c 400; echo " ..."

step "terraform plan again: nothing to do"
tf "$work/demo" plan -input=false "${vars[@]}" | grep -E "No changes|Plan:"

step "Swap a bucket: the policy is updated in place"
swap=(-var 'bucket_names=["acr-images-prod","acr-images-archive"]')
tf "$work/demo" apply -auto-approve -input=false "${vars[@]}" "${swap[@]}" | grep -E "update|Modif|Apply complete"

step "Import the role into a fresh state, then plan: no changes"
tf "$work/imported" init -input=false > /dev/null
tf "$work/imported" import -input=false "${vars[@]}" "${swap[@]}" \
  alicr_custom_oss_role.registry AliyunContainerRegistryCustomizedOSSBucketRole | grep -E "Import"
tf "$work/imported" plan -input=false "${vars[@]}" "${swap[@]}" | grep -E "No changes|Plan:"

step "terraform destroy"
tf "$work/demo" destroy -auto-approve -input=false "${vars[@]}" "${swap[@]}" | grep -E "Destroy"
echo "RAM now holds: $(curl -s "$endpoint/_emulator/state")"
