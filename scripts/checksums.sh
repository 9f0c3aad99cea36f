#!/usr/bin/env bash
# The last step of `make release`, also run on its own by .github/workflows/release.yml once the
# Linux and macOS zips are gathered in one $DIST_DIR: writes, over every
# terraform-provider-alicr_VERSION_*.zip there,
#   terraform-provider-alicr_VERSION_manifest.json  (a copy of terraform-registry-manifest.json)
#   terraform-provider-alicr_VERSION_SHA256SUMS     (every zip and the manifest)
#   terraform-provider-alicr_VERSION_SHA256SUMS.sig (when GPG_FINGERPRINT is set: a binary
#       detached signature by that key, as the Terraform Registry expects; GPG_PASSPHRASE, when
#       set, unlocks the key without a prompt)
# and the release notes ($RELEASE_NOTES_FILE), which list the files and say how to verify them.
set -euo pipefail
source "$(dirname "$0")/common.sh"

dist="${DIST_DIR:-$root/dist}"
dist="$(cd "$dist" && pwd)"
prefix="${binary_name}_${version}"
notes="${RELEASE_NOTES_FILE:-$root/target/cross/release-notes-$version.md}"

shopt -s nullglob
zips=("$dist/${prefix}"_*.zip)
shopt -u nullglob
[ "${#zips[@]}" -gt 0 ] || { echo "checksums: no ${prefix}_*.zip in $dist" >&2; exit 1; }

cp "$root/terraform-registry-manifest.json" "$dist/${prefix}_manifest.json"
rm -f "$dist/${prefix}_SHA256SUMS.sig"
(
  cd "$dist"
  files=("${prefix}"_*.zip "${prefix}_manifest.json")
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "${files[@]}"
  else
    shasum -a 256 "${files[@]}"
  fi >"${prefix}_SHA256SUMS"
)

if [ -n "${GPG_FINGERPRINT:-}" ]; then
  sign=(gpg --batch --yes --local-user "$GPG_FINGERPRINT" --detach-sign
    --output "$dist/${prefix}_SHA256SUMS.sig")
  if [ -n "${GPG_PASSPHRASE:-}" ]; then
    printf '%s' "$GPG_PASSPHRASE" | "${sign[@]}" --pinentry-mode loopback --passphrase-fd 0 \
      "$dist/${prefix}_SHA256SUMS"
  else
    "${sign[@]}" "$dist/${prefix}_SHA256SUMS"
  fi
  gpg --batch --verify "$dist/${prefix}_SHA256SUMS.sig" "$dist/${prefix}_SHA256SUMS" 2>/dev/null || {
    echo "checksums: the new signature does not verify" >&2
    exit 1
  }
fi

# Release notes: this version's CHANGELOG section, the files, and how to check them.
mkdir -p "$(dirname "$notes")"
{
  echo "# terraform-provider-alicr $version"
  echo
  awk -v v="$version" '
    /^## / { if (on) exit; if (index($0, "## " v) == 1) { on = 1; next } }
    on { print }
  ' "$root/CHANGELOG.md"
  echo
  echo "## Files"
  echo
  echo '```'
  cat "$dist/${prefix}_SHA256SUMS"
  echo '```'
  echo
  echo "## Verifying a download"
  echo
  if [ -n "${GPG_FINGERPRINT:-}" ]; then
    echo "\`${prefix}_SHA256SUMS\` is signed by the GPG key \`$GPG_FINGERPRINT\`."
  else
    echo "\`${prefix}_SHA256SUMS\` is signed by the publisher's GPG key (the one registered with the Terraform Registry)."
  fi
  cat <<EOF
Terraform checks this signature itself when it installs from the Registry. To check a zip by
hand, download it with \`${prefix}_SHA256SUMS\` and \`${prefix}_SHA256SUMS.sig\`, then:

\`\`\`sh
gpg --import alicr-release-key.asc     # the publisher's public key, once
gpg --verify ${prefix}_SHA256SUMS.sig ${prefix}_SHA256SUMS
sha256sum --ignore-missing -c ${prefix}_SHA256SUMS     # macOS: shasum -a 256 --ignore-missing -c
\`\`\`

\`gpg --verify\` must say "Good signature" from the key above, and \`sha256sum\` must print
\`OK\` for each zip you downloaded. The zip holds one file, \`${binary_name}_v${version}\`
(\`.exe\` on Windows). To serve these zips to a team behind a firewall, see
docs/guides/network-mirror-oss.md (\`make mirror\`).
EOF
} >"$notes"

echo "release: $((${#zips[@]})) platform(s) in $dist:"
ls -l "$dist" | sed -n "s/.* \(${prefix}_.*\)$/  \1/p"
echo "release: notes in $notes"
