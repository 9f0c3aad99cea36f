# terraform-provider-alicr — developer commands. `make demo` and `make test` are the two a
# newcomer needs; everything else is for working on the provider.

CARGO ?= cargo
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
DIST_DIR ?= dist

.PHONY: all build release mirror dist-check demo test lint fmt conformance install docs docs-check bench bench-smoke fuzz clean

all: build

build:
	$(CARGO) build --workspace

## release: cross-builds linux_amd64, linux_arm64 and windows_amd64 (darwin on macOS, or with
## SDKROOT set), then $(DIST_DIR)/ gets one zip per platform, the manifest and SHA256SUMS (and
## SHA256SUMS.sig when GPG_FINGERPRINT is set), named as the Terraform Registry expects.
## RELEASE_PLATFORMS="linux_arm64 ..." picks platforms; RELEASE_PLATFORMS=host builds only this
## machine's, fast. Installs zig (PyPI) and cargo-zigbuild (crates.io) on first use; cross
## builds go to target/cross. Minutes per platform.
release:
	DIST_DIR="$(DIST_DIR)" bash scripts/release.sh

## mirror: $(MIRROR_DIR)/ in Terraform's provider network mirror protocol, from the release in
## $(DIST_DIR)/ (run `make release` first), to copy to a static HTTPS host such as an OSS bucket
## (docs/guides/network-mirror-oss.md).
MIRROR_DIR ?= mirror
mirror:
	DIST_DIR="$(DIST_DIR)" MIRROR_DIR="$(MIRROR_DIR)" bash scripts/mirror.sh

## dist-check: proves release and mirror: cross-builds every platform, reads each binary's
## header, runs linux_arm64 under qemu-user, signs and verifies with a throwaway GPG key, and
## `terraform init`s from the mirror served over HTTPS on 127.0.0.1 (scripts/dist_check.py).
## Minutes; run by .ci/run after `make test`.
dist-check:
	bash scripts/dist-check.sh

## install: release build, copied into ~/.terraform.d/plugins so a plain `terraform init` with
## source = "alicr/alicr" works offline.
install:
	bash scripts/install.sh

## docs: regenerate the schema sections of docs/ (and the examples they embed).
docs:
	$(CARGO) run --quiet -p alicr-docgen

## docs-check: fail when the committed docs differ from what `make docs` would write.
docs-check:
	$(CARGO) run --quiet -p alicr-docgen -- --check

## demo: build, start the RAM emulator, and tour apply / plan / update / import / destroy.
demo: build
	bash scripts/demo.sh

## test: lint, then every Rust test (unit, gRPC, real terraform), the benchmark harness in smoke
## mode, then the official-SDK conformance of the RAM emulator.
test: lint docs-check
	$(CARGO) test --workspace --all-targets
	$(MAKE) bench-smoke
	bash scripts/conformance.sh

## bench: release build, then measure the budgets of ARCHITECTURE.md (start-up, side by side
## with the terraform-plugin-framework Workato provider at N=10 and 100, 50 accounts, scale
## against terraform_data, critical path at 100 ms latency, RAM calls, memory, binary size) and
## rewrite BENCHMARKS.md. The first run downloads the pinned wheel workato-terraform-provider
## 0.16.0 with pip into target/bench-cache/ (checked by SHA-256); without it the comparison is
## reported as not run. About 5 minutes on 2 cores (plus the release build).
bench:
	$(CARGO) build --release --workspace
	$(CARGO) run --release --quiet -p alicr-bench -- --out BENCHMARKS.md

## bench-smoke: the same harness at N=2, once each (seconds), on the debug build; fails only if
## it cannot run, writes a malformed report or RAM call counts miss their budgets. Offline: it
## never downloads, and compares with the framework provider only if `make bench` cached it.
bench-smoke:
	$(CARGO) build --workspace --bins
	$(CARGO) run --quiet -p alicr-bench -- --smoke --out target/bench-smoke/BENCHMARKS.md

## lint: formatting, clippy with warnings as errors, rustdoc with warnings as errors (broken
## intra-doc links), and no unused dependency in any Cargo.toml
## (cargo-machete, installed pinned from crates.io on first use: scripts/unused-deps.sh).
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --document-private-items --quiet
	bash scripts/unused-deps.sh

fmt:
	$(CARGO) fmt --all

conformance:
	bash scripts/conformance.sh

## fuzz: the property tests of every decoder (Terraform values, policy documents, signatures,
## emulator requests) with FUZZ_CASES cases each instead of make test's 256; failures are shrunk
## and kept in tests/proptest-regressions/ (see SECURITY.md).
FUZZ_CASES ?= 20000
fuzz:
	PROPTEST_CASES=$(FUZZ_CASES) $(CARGO) test --test integration fuzz_props

clean:
	$(CARGO) clean
