#!/usr/bin/env bash
# `make mirror`: turns the release in $DIST_DIR (default dist/, written by `make release`, which
# runs first when there is none for this version) into a
# directory that speaks Terraform's provider network mirror protocol, in $MIRROR_DIR (default
# mirror/), ready to copy to any static HTTPS host (an OSS bucket: docs/guides/network-mirror-oss.md):
#   registry.terraform.io/alicr/alicr/index.json      {"versions": {"VERSION": {}, ...}}
#   registry.terraform.io/alicr/alicr/VERSION.json    {"archives": {"OS_ARCH": {"url": ZIP,
#                                                      "hashes": ["h1:...", "zh:SHA256 of the zip"]}}}
#     (zh: is the zip's sha256, as in SHA256SUMS; h1: is Terraform's hash of the unpacked
#     files, the one `terraform init` writes to .terraform.lock.hcl)
#   registry.terraform.io/alicr/alicr/terraform-provider-alicr_VERSION_OS_ARCH.zip
# Every zip is checked against the release's SHA256SUMS first. Versions already in MIRROR_DIR
# (say, synced down from the bucket) stay and are listed in index.json next to this one.
set -euo pipefail
source "$(dirname "$0")/common.sh"

dist="${DIST_DIR:-$root/dist}"
mirror="${MIRROR_DIR:-$root/mirror}"
if [ ! -f "$dist/${binary_name}_${version}_SHA256SUMS" ]; then
  echo "mirror: no release of $version in $dist yet; running scripts/release.sh" >&2
  DIST_DIR="$dist" bash "$root/scripts/release.sh"
fi
mkdir -p "$mirror"

python3 - "$dist" "$mirror" "$binary_name" "$version" <<'PY'
import hashlib, json, os, re, shutil, sys

dist, mirror, name, version = sys.argv[1:5]
prefix = f"{name}_{version}"
sums_path = os.path.join(dist, f"{prefix}_SHA256SUMS")
if not os.path.exists(sums_path):
    sys.exit(f"mirror: no {sums_path}; run make release first")
sums = {}
with open(sums_path) as f:
    for line in f:
        digest, file = line.rstrip("\n").split("  ", 1)
        sums[file] = digest

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

def h1(zip_path):
    """Terraform's h1: hash (Go's dirhash.Hash1) of the files a zip unpacks to: the sha256 of
    the sorted lines "SHA256  NAME\n", base64. This is what Terraform computes of the package
    it installed and writes to .terraform.lock.hcl."""
    import base64, zipfile
    lines = []
    with zipfile.ZipFile(zip_path) as z:
        for info in z.infolist():
            if info.is_dir():
                continue
            assert "\n" not in info.filename, info.filename
            lines.append(f"{hashlib.sha256(z.read(info)).hexdigest()}  {info.filename}\n")
    summary = hashlib.sha256("".join(sorted(lines)).encode()).digest()
    return "h1:" + base64.b64encode(summary).decode()

out = os.path.join(mirror, "registry.terraform.io", "alicr", "alicr")
os.makedirs(out, exist_ok=True)
zip_re = re.compile(re.escape(prefix) + r"_([a-z0-9]+_[a-z0-9]+)\.zip")
archives = {}
for file in sorted(sums):
    m = zip_re.fullmatch(file)
    if not m:
        continue
    digest = sha256(os.path.join(dist, file))
    if digest != sums[file]:
        sys.exit(f"mirror: {file} does not match SHA256SUMS ({digest} != {sums[file]})")
    shutil.copyfile(os.path.join(dist, file), os.path.join(out, file))
    # url is relative to VERSION.json, so the directory can be served from any address.
    archives[m.group(1)] = {"url": file, "hashes": [h1(os.path.join(out, file)), f"zh:{digest}"]}
if not archives:
    sys.exit(f"mirror: SHA256SUMS lists no {prefix}_*.zip")

def write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(value, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)

write_json(os.path.join(out, f"{version}.json"), {"archives": archives})
versions = sorted(
    (v[: -len(".json")] for v in os.listdir(out)
     if v.endswith(".json") and v != "index.json"),
    key=lambda v: [int(p) if p.isdigit() else p for p in re.split(r"[.-]", v)],
)
write_json(os.path.join(out, "index.json"), {"versions": {v: {} for v in versions}})
print(f"mirror: alicr/alicr {version} ({', '.join(sorted(archives))}) in {out}")
print(f"mirror: versions listed: {', '.join(versions)}")
PY
