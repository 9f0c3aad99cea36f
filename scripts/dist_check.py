#!/usr/bin/env python3
"""The distribution checks behind `make dist-check` (run by scripts/dist-check.sh, which
installs qemu-user, the arm64 C library, gpg and openssl first).

1. `make release` with a throwaway GPG key (in a temporary GNUPGHOME) as GPG_FINGERPRINT; then
   every zip is unpacked and its binary's format and architecture read from its header (ELF
   e_machine, PE Machine, Mach-O cputype); the linux_arm64 binary runs under qemu-user and
   refuses to start without Terraform's magic cookie; the manifest and every checksum are
   checked; the signature verifies with `gpg --verify` (and a tampered SHA256SUMS does not).
2. `make mirror`, served over HTTPS on 127.0.0.1 with a self-signed certificate that Terraform
   trusts through SSL_CERT_FILE; `terraform init` with a CLI configuration (TF_CLI_CONFIG_FILE)
   whose only installation method is that network_mirror installs the provider, and the lock
   file holds the mirror's hash of it (then, after `terraform providers lock -net-mirror`, of
   every platform).

Each check prints `ok` or `FAIL` with the reason; the last line is `N passed, M failed`, and the
exit status is 1 when anything failed. Nothing here is skipped: a missing tool is a failure.
"""

import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import traceback
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
NAME = "terraform-provider-alicr"
REFUSAL = "This binary is a plugin. These are not meant to be executed directly."
REQUIRED = ["linux_amd64", "linux_arm64", "windows_amd64"]

# platform -> (format, machine): ELF e_machine, PE Machine, Mach-O cputype.
EXPECTED = {
    "linux_amd64": ("elf", 62),  # EM_X86_64
    "linux_arm64": ("elf", 183),  # EM_AARCH64
    "linux_386": ("elf", 3),  # EM_386
    "linux_arm": ("elf", 40),  # EM_ARM
    "windows_amd64": ("pe", 0x8664),  # IMAGE_FILE_MACHINE_AMD64
    "windows_arm64": ("pe", 0xAA64),  # IMAGE_FILE_MACHINE_ARM64
    "darwin_amd64": ("macho", 0x01000007),  # CPU_TYPE_X86_64
    "darwin_arm64": ("macho", 0x0100000C),  # CPU_TYPE_ARM64
}


def version():
    with open(os.path.join(ROOT, "Cargo.toml")) as f:
        return re.search(r'(?m)^version = "([^"]+)"', f.read()).group(1)


VERSION = version()
PREFIX = f"{NAME}_{VERSION}"

results = []


def check(title):
    def wrap(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            try:
                value = fn(*args, **kwargs)
            except Exception as e:  # noqa: BLE001 - every failure is reported, none is fatal
                results.append((title, False))
                print(f"FAIL {title}: {e}", flush=True)
                if not isinstance(e, AssertionError):
                    traceback.print_exc()
                return None
            results.append((title, True))
            print(f"ok   {title}", flush=True)
            return value

        return run

    return wrap


def run(cmd, env=None, cwd=None, timeout=3600, check_rc=True):
    out = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if check_rc and out.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited {out.returncode}\n--- stdout\n{out.stdout[-4000:]}"
            f"\n--- stderr\n{out.stderr[-4000:]}"
        )
    return out


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def h1_of_zip(path):
    """Terraform's h1: hash (dirhash.Hash1) of what a zip unpacks to, computed here on its own."""
    import base64
    lines = []
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if not info.is_dir():
                lines.append("%s  %s\n" % (hashlib.sha256(z.read(info)).hexdigest(), info.filename))
    return "h1:" + base64.b64encode(hashlib.sha256("".join(sorted(lines)).encode()).digest()).decode()


def binary_header(data):
    """(format, machine, details) read from an executable's header."""
    if data[:4] == b"\x7fELF":
        ei_class, ei_data = data[4], data[5]
        endian = "<" if ei_data == 1 else ">"
        e_type, e_machine = struct.unpack_from(endian + "HH", data, 16)
        return "elf", e_machine, {"class": ei_class, "data": ei_data, "type": e_type}
    if data[:2] == b"MZ":
        (pe_offset,) = struct.unpack_from("<I", data, 0x3C)
        assert data[pe_offset : pe_offset + 4] == b"PE\0\0", "MZ header without a PE signature"
        (machine,) = struct.unpack_from("<H", data, pe_offset + 4)
        (characteristics,) = struct.unpack_from("<H", data, pe_offset + 22)
        opt = pe_offset + 24
        (magic,) = struct.unpack_from("<H", data, opt)
        (subsystem,) = struct.unpack_from("<H", data, opt + 68)
        return "pe", machine, {
            "magic": magic,
            "subsystem": subsystem,
            "characteristics": characteristics,
        }
    (magic,) = struct.unpack_from("<I", data, 0)
    if magic == 0xFEEDFACF:  # MH_MAGIC_64, little-endian
        cputype, _cpusub, filetype = struct.unpack_from("<iII", data, 4)
        return "macho", cputype, {"filetype": filetype}
    if magic == 0xBEBAFECA:  # FAT_MAGIC read little-endian: a universal binary
        raise AssertionError("a universal (fat) Mach-O; expected one architecture per zip")
    raise AssertionError(f"unknown executable format (first bytes {data[:8].hex()})")


def max_glibc(data):
    versions = {tuple(int(p) for p in m.group(1).split(b".")) for m in re.finditer(rb"GLIBC_(2\.[0-9.]+)", data)}
    return max(versions) if versions else None


class Env:
    """Everything the checks share: temporary directories and what earlier checks produced."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="alicr-dist-check-")
        self.gnupghome = os.path.join(self.tmp, "gnupg")
        os.mkdir(self.gnupghome, 0o700)
        self.dist = os.path.join(self.tmp, "dist")
        self.mirror = os.path.join(self.tmp, "mirror")
        self.notes = os.path.join(self.tmp, "release-notes.md")
        self.unpacked = os.path.join(self.tmp, "unpacked")
        self.fingerprint = None
        self.platforms = []

        self.own_key = True  # False with --dist: the caller's keyring and GPG_FINGERPRINT
        self.required = list(REQUIRED)

    def gpg_env(self):
        env = dict(os.environ)
        if self.own_key:
            env["GNUPGHOME"] = self.gnupghome
        return env


@check("a throwaway GPG signing key in a temporary GNUPGHOME")
def make_key(e):
    env = e.gpg_env()
    run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key",
         "alicr release check <release-check@alicr.invalid>", "rsa3072", "sign", "1d"], env=env)
    listing = run(["gpg", "--batch", "--with-colons", "--list-secret-keys"], env=env).stdout
    fprs = [line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")]
    assert fprs, listing
    e.fingerprint = fprs[0]


@check("make release cross-builds every platform and signs SHA256SUMS with GPG_FINGERPRINT")
def make_release(e):
    assert e.fingerprint, "no key"
    env = e.gpg_env()
    env.update(DIST_DIR=e.dist, GPG_FINGERPRINT=e.fingerprint, RELEASE_NOTES_FILE=e.notes)
    out = run(["make", "-C", ROOT, "release"], env=env)
    sys.stdout.write("".join("     | " + line + "\n" for line in out.stdout.splitlines()[-12:]))


@check("dist/ holds a zip for each required platform, the manifest, SHA256SUMS and .sig, nothing else")
def dist_contents(e):
    names = sorted(os.listdir(e.dist))
    zips = [n for n in names if n.endswith(".zip")]
    e.platforms = []
    for z in zips:
        m = re.fullmatch(re.escape(PREFIX) + r"_([a-z0-9]+_[a-z0-9]+)\.zip", z)
        assert m, f"unexpected zip name {z}"
        e.platforms.append(m.group(1))
    missing = [p for p in e.required if p not in e.platforms]
    assert not missing, f"missing platforms {missing}: {names}"
    expected = zips + [f"{PREFIX}_manifest.json", f"{PREFIX}_SHA256SUMS"]
    if e.fingerprint:
        expected.append(f"{PREFIX}_SHA256SUMS.sig")
    expected.sort()
    assert names == expected, f"{names} != {expected}"
    print(f"     | platforms: {' '.join(e.platforms)}")


@check("the manifest is terraform-registry-manifest.json: protocol 6.0")
def manifest(e):
    with open(os.path.join(e.dist, f"{PREFIX}_manifest.json")) as f:
        text = f.read()
    with open(os.path.join(ROOT, "terraform-registry-manifest.json")) as f:
        assert text == f.read(), "manifest differs from terraform-registry-manifest.json"
    assert json.loads(text) == {"version": 1, "metadata": {"protocol_versions": ["6.0"]}}, text


@check("SHA256SUMS lists every zip and the manifest with their real digests")
def checksums(e):
    listed = {}
    with open(os.path.join(e.dist, f"{PREFIX}_SHA256SUMS")) as f:
        for line in f:
            digest, name = line.rstrip("\n").split("  ", 1)
            assert re.fullmatch(r"[0-9a-f]{64}", digest), line
            assert sha256(os.path.join(e.dist, name)) == digest, f"{name}: digest mismatch"
            listed[name] = digest
    expected = sorted([f"{PREFIX}_{p}.zip" for p in e.platforms] + [f"{PREFIX}_manifest.json"])
    assert sorted(listed) == expected, f"{sorted(listed)} != {expected}"
    # The same with the tool the release notes tell users to run.
    run(["sha256sum", "-c", f"{PREFIX}_SHA256SUMS"], cwd=e.dist)


@check("gpg --verify accepts SHA256SUMS.sig by the release key and rejects a tampered SHA256SUMS")
def signature(e):
    env = e.gpg_env()
    sums = os.path.join(e.dist, f"{PREFIX}_SHA256SUMS")
    sig = sums + ".sig"
    with open(sig, "rb") as f:
        head = f.read(1)
    assert head and head[0] & 0x80, "SHA256SUMS.sig is not a binary OpenPGP packet (armored?)"
    out = run(["gpg", "--batch", "--status-fd", "1", "--verify", sig, sums], env=env)
    assert "[GNUPG:] GOODSIG" in out.stdout, out.stdout
    valid = [l for l in out.stdout.splitlines() if l.startswith("[GNUPG:] VALIDSIG ")]
    assert valid and e.fingerprint in valid[0], out.stdout
    tampered = os.path.join(e.tmp, "SHA256SUMS.tampered")
    with open(sums) as f, open(tampered, "w") as g:
        g.write(f.read().replace("0", "1", 1))
    bad = run(["gpg", "--batch", "--verify", sig, tampered], env=env, check_rc=False)
    assert bad.returncode != 0, "a tampered SHA256SUMS verified"


@check("the release notes say how to verify the signature and the checksums")
def notes(e):
    with open(e.notes) as f:
        text = f.read()
    for needle in [f"gpg --verify {PREFIX}_SHA256SUMS.sig {PREFIX}_SHA256SUMS",
                   f"sha256sum --ignore-missing -c {PREFIX}_SHA256SUMS", e.fingerprint]:
        assert needle in text, f"release notes lack {needle!r}"
    for p in e.platforms:
        assert f"{PREFIX}_{p}.zip" in text, f"release notes lack the {p} zip"


def unpack_checks(e):
    for platform in e.platforms:
        make_zip_check(platform)(e)


def make_zip_check(platform):
    @check(f"{platform}: the zip holds {NAME}_v{VERSION} for the right format and architecture")
    def zip_check(e):
        exe = ".exe" if platform.startswith("windows_") else ""
        path = os.path.join(e.dist, f"{PREFIX}_{platform}.zip")
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            assert [i.filename for i in infos] == [f"{NAME}_v{VERSION}{exe}"], [i.filename for i in infos]
            mode = (infos[0].external_attr >> 16) & 0o777
            assert mode == 0o755, f"mode {oct(mode)}"
            dest = os.path.join(e.unpacked, platform)
            z.extractall(dest)
        binary = os.path.join(dest, infos[0].filename)
        os.chmod(binary, 0o755)
        with open(binary, "rb") as f:
            data = f.read()
        fmt, machine, details = binary_header(data)
        want = EXPECTED.get(platform)
        assert want, f"no expectation for {platform}"
        assert (fmt, machine) == want, f"{fmt} machine {machine:#x}, expected {want[0]} {want[1]:#x}"
        if fmt == "elf":
            assert details["class"] == (2 if platform.endswith(("amd64", "arm64")) else 1), details
            assert details["data"] == 1, "not little-endian"
            assert details["type"] in (2, 3), f"ELF type {details['type']} is not an executable"
            glibc = max_glibc(data)
            assert glibc is None or glibc <= (2, 17), f"needs glibc {glibc}, more than 2.17"
            print(f"     | ELF e_machine {machine}, newest glibc symbol {'.'.join(map(str, glibc or ()))}")
        elif fmt == "pe":
            assert details["magic"] == 0x20B, f"PE optional header magic {details['magic']:#x}, not PE32+"
            assert details["subsystem"] == 3, f"subsystem {details['subsystem']}, not a console program"
            assert details["characteristics"] & 0x2, "not marked executable"
            print(f"     | PE Machine {machine:#x}, PE32+, console")
        else:
            assert details["filetype"] == 2, f"Mach-O filetype {details['filetype']}, not MH_EXECUTE"
            print(f"     | Mach-O cputype {machine:#x}")

    return zip_check


def without_cookie():
    env = dict(os.environ)
    for key in list(env):
        if key.startswith(("TF_PLUGIN_MAGIC_COOKIE", "PLUGIN_")):
            del env[key]
    return env


@check("linux_arm64 under qemu-user: --version, and refuses to start without Terraform's cookie")
def qemu(e):
    binary = os.path.join(e.unpacked, "linux_arm64", f"{NAME}_v{VERSION}")
    qemu_bin = shutil.which("qemu-aarch64") or shutil.which("qemu-aarch64-static")
    assert qemu_bin, "qemu-aarch64 is not installed (scripts/dist-check.sh installs qemu-user)"
    sysroot = "/usr/aarch64-linux-gnu"
    assert os.path.exists(os.path.join(sysroot, "lib", "ld-linux-aarch64.so.1")), \
        "no arm64 C library in /usr/aarch64-linux-gnu (package libc6-arm64-cross)"
    cmd = [qemu_bin, "-L", sysroot, binary]
    out = run(cmd + ["--version"], env=without_cookie(), timeout=120)
    assert VERSION in out.stdout, out.stdout + out.stderr
    out = run(cmd, env=without_cookie(), timeout=120, check_rc=False)
    assert out.returncode == 1, f"exit {out.returncode}: {out.stdout}{out.stderr}"
    assert REFUSAL in out.stdout + out.stderr, out.stdout + out.stderr
    print(f"     | {REFUSAL}")


@check("linux_amd64 natively: refuses to start without Terraform's cookie")
def native(e):
    binary = os.path.join(e.unpacked, "linux_amd64", f"{NAME}_v{VERSION}")
    out = run([binary], env=without_cookie(), timeout=60, check_rc=False)
    assert out.returncode == 1 and REFUSAL in out.stdout + out.stderr, out.stdout + out.stderr


@check("make mirror writes index.json, VERSION.json with each platform's zh: (and h1:) hash, and the zips")
def make_mirror(e):
    env = dict(os.environ, DIST_DIR=e.dist, MIRROR_DIR=e.mirror)
    run(["make", "-C", ROOT, "mirror"], env=env)
    base = os.path.join(e.mirror, "registry.terraform.io", "alicr", "alicr")
    with open(os.path.join(base, "index.json")) as f:
        assert json.load(f) == {"versions": {VERSION: {}}}
    with open(os.path.join(base, f"{VERSION}.json")) as f:
        archives = json.load(f)["archives"]
    assert sorted(archives) == sorted(e.platforms), f"{sorted(archives)} != {sorted(e.platforms)}"
    for platform, archive in archives.items():
        zip_name = f"{PREFIX}_{platform}.zip"
        assert archive["url"] == zip_name, archive
        digest = sha256(os.path.join(base, zip_name))
        assert digest == sha256(os.path.join(e.dist, zip_name)), f"{zip_name} differs from dist"
        assert archive["hashes"] == [h1_of_zip(os.path.join(base, zip_name)), f"zh:{digest}"], archive
    assert sorted(os.listdir(base)) == sorted(
        ["index.json", f"{VERSION}.json"] + [f"{PREFIX}_{p}.zip" for p in e.platforms]
    ), os.listdir(base)
    e.archives = archives


class MirrorServer:
    """The mirror directory over HTTPS on 127.0.0.1 (an ephemeral port), logging each path."""

    def __init__(self, directory, cert, key):
        self.paths = []
        paths = self.paths

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=directory, **kw)

            def log_message(self, fmt, *args):
                paths.append(self.path)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def host_platform():
    out = run(["terraform", "version", "-json"], env=terraform_env(None, None), timeout=60)
    return json.loads(out.stdout)["platform"]


def terraform_env(cli_config, cert):
    env = dict(os.environ)
    for key in ["TF_PLUGIN_CACHE_DIR", "TF_CLI_ARGS", "TF_CLI_ARGS_init", "TF_DATA_DIR",
                "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "SSL_CERT_DIR"]:
        env.pop(key, None)
    env["TF_IN_AUTOMATION"] = "1"
    env["CHECKPOINT_DISABLE"] = "1"
    env["NO_PROXY"] = "127.0.0.1"
    if cli_config:
        env["TF_CLI_CONFIG_FILE"] = cli_config
    if cert:
        env["SSL_CERT_FILE"] = cert
    else:
        env.pop("SSL_CERT_FILE", None)
    return env


@check("terraform init installs alicr/alicr from the HTTPS network mirror on 127.0.0.1 alone")
def terraform_init(e):
    assert getattr(e, "archives", None), "no mirror"
    cert = os.path.join(e.tmp, "mirror-cert.pem")
    key = os.path.join(e.tmp, "mirror-key.pem")
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", key, "-out", cert])
    server = MirrorServer(e.mirror, cert, key)
    try:
        cli_config = os.path.join(e.tmp, "terraformrc")
        with open(cli_config, "w") as f:
            f.write(
                "provider_installation {\n"
                "  network_mirror {\n"
                f'    url = "https://127.0.0.1:{server.port}/"\n'
                "  }\n"
                "}\n"
            )
        config = (
            "terraform {\n  required_providers {\n"
            f'    alicr = {{\n      source  = "alicr/alicr"\n      version = "{VERSION}"\n    }}\n'
            "  }\n}\n"
        )

        # Without the certificate Terraform must refuse the mirror: TLS is really verified.
        untrusted = os.path.join(e.tmp, "tf-untrusted")
        os.mkdir(untrusted)
        with open(os.path.join(untrusted, "main.tf"), "w") as f:
            f.write(config)
        bad = run(["terraform", "init", "-input=false", "-no-color"], cwd=untrusted,
                  env=terraform_env(cli_config, None), timeout=300, check_rc=False)
        assert bad.returncode != 0, "terraform init trusted a self-signed mirror without SSL_CERT_FILE"
        assert "certificate" in (bad.stdout + bad.stderr).lower(), bad.stdout + bad.stderr

        work = os.path.join(e.tmp, "tf")
        os.mkdir(work)
        with open(os.path.join(work, "main.tf"), "w") as f:
            f.write(config)
        env = terraform_env(cli_config, cert)
        out = run(["terraform", "init", "-input=false", "-no-color"], cwd=work, env=env, timeout=300)
        assert f"Installed alicr/alicr v{VERSION}" in out.stdout, out.stdout + out.stderr

        platform = host_platform()
        installed = os.path.join(work, ".terraform", "providers", "registry.terraform.io",
                                 "alicr", "alicr", VERSION, platform, f"{NAME}_v{VERSION}")
        assert os.access(installed, os.X_OK), f"{installed} is not there"
        with open(os.path.join(e.unpacked, platform, f"{NAME}_v{VERSION}"), "rb") as f, \
                open(installed, "rb") as g:
            assert f.read() == g.read(), "the installed binary is not the released one"

        with open(os.path.join(work, ".terraform.lock.hcl")) as f:
            lock = f.read()
        assert 'provider "registry.terraform.io/alicr/alicr"' in lock, lock
        assert f'version     = "{VERSION}"' in lock, lock
        # Terraform writes to the lock file the h1: hash of the package it installed (mirror
        # hashes are not GPG-signed, so it does not copy the other platforms' from the mirror);
        # it must be the one the mirror lists for this platform.
        mirror_h1 = e.archives[platform]["hashes"][0]
        assert f'"{mirror_h1}"' in lock, f"the lock file lacks the mirror's {mirror_h1}:\n{lock}"
        want = {"/registry.terraform.io/alicr/alicr/index.json",
                f"/registry.terraform.io/alicr/alicr/{VERSION}.json",
                f"/registry.terraform.io/alicr/alicr/{PREFIX}_{platform}.zip"}
        assert want <= set(server.paths), f"mirror requests: {server.paths}"

        # What the guide tells teams on several OSes to run: every platform's hash from the mirror.
        lock_cmd = ["terraform", "providers", "lock", "-no-color",
                    f"-net-mirror=https://127.0.0.1:{server.port}/"]
        lock_cmd += [f"-platform={p}" for p in sorted(e.archives)]
        run(lock_cmd, cwd=work, env=env, timeout=300)
        with open(os.path.join(work, ".terraform.lock.hcl")) as f:
            lock = f.read()
        for p, archive in e.archives.items():
            h = archive["hashes"][0]
            assert f'"{h}"' in lock, f"after providers lock, the lock file lacks {p}'s {h}:\n{lock}"

        # The installed provider runs: Terraform starts it and reads its schema.
        schema = run(["terraform", "providers", "schema", "-json"], cwd=work, env=env, timeout=300)
        assert "alicr_custom_oss_role" in schema.stdout, schema.stdout[:2000] + schema.stderr
        print(f"     | https://127.0.0.1:{server.port}/ served {len(server.paths)} requests; "
              f"lock holds the mirror's h1: hashes of {len(e.archives)} platforms")
    finally:
        server.close()


def check_given_dist(e, dist):
    """--dist DIR [--require P,P]: check a release made elsewhere (the release workflow's
    gathered zips): contents, manifest, checksums, every binary's header, and the signature
    with the caller's keyring when GPG_FINGERPRINT is set."""
    e.own_key = False
    e.dist = os.path.abspath(dist)
    e.fingerprint = os.environ.get("GPG_FINGERPRINT") or None
    dist_contents(e)
    manifest(e)
    checksums(e)
    if e.fingerprint:
        signature(e)
    unpack_checks(e)


def main():
    e = Env()
    keep = os.environ.get("DIST_CHECK_KEEP") == "1"
    args = sys.argv[1:]
    if "--require" in args:
        i = args.index("--require")
        e.required = [p for p in args[i + 1].split(",") if p]
        del args[i : i + 2]
    try:
        if args[:1] == ["--dist"] and len(args) == 2:
            check_given_dist(e, args[1])
            return finish()
        if args:
            print("usage: dist_check.py [--dist DIR [--require P,P...]]", file=sys.stderr)
            return 2
        make_key(e)
        make_release(e)
        if os.path.isdir(e.dist):
            dist_contents(e)
            manifest(e)
            checksums(e)
            signature(e)
            notes(e)
            unpack_checks(e)
            qemu(e)
            native(e)
            make_mirror(e)
            terraform_init(e)
    finally:
        if keep:
            print(f"dist-check: files kept in {e.tmp}")
        else:
            shutil.rmtree(e.tmp, ignore_errors=True)
    return finish()


def finish():
    passed = sum(1 for _, ok in results if ok)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
