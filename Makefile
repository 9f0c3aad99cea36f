# terraform-provider-alicr — developer commands. `make demo` and `make test` are the two a
# newcomer needs; everything else is for working on the provider.

CARGO ?= cargo
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
DIST_DIR ?= dist

.PHONY: all build release demo test lint fmt conformance install docs docs-check bench bench-smoke fuzz clean

all: build

build:
	$(CARGO) build --workspace

## release: release build, then $(DIST_DIR)/ gets one zip per platform, the manifest and
## SHA256SUMS, named as the Terraform Registry expects.
release:
	DIST_DIR="$(DIST_DIR)" bash scripts/release.sh

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

## bench: release build, then measure the budgets of DESIGN.md section 6 (start-up, scale against
## terraform_data, critical path at 100 ms latency, RAM calls, memory, binary size) and rewrite
## BENCHMARKS.md. About 3 minutes on 2 cores (plus the release build).
bench:
	$(CARGO) build --release --workspace
	$(CARGO) run --release --quiet -p alicr-bench -- --out BENCHMARKS.md

## bench-smoke: the same harness at N=2, once each (seconds), on the debug build; fails only if
## it cannot run, writes a malformed report or RAM call counts miss their budgets.
bench-smoke:
	$(CARGO) build --workspace --bins
	$(CARGO) run --quiet -p alicr-bench -- --smoke --out target/bench-smoke/BENCHMARKS.md

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

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
