# terraform-provider-alicr — developer commands. `make demo` and `make test` are the two a
# newcomer needs; everything else is for working on the provider.

CARGO ?= cargo
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)

.PHONY: all build release demo test lint fmt conformance install docs bench clean

all: build

build:
	$(CARGO) build --workspace

release:
	$(CARGO) build --release --workspace

## demo: build, start the RAM emulator, and tour apply / plan / update / import / destroy.
demo: build
	bash scripts/demo.sh

## test: lint, then every Rust test (unit, gRPC, real terraform), then the official-SDK
## conformance of the RAM emulator.
test: lint
	$(CARGO) test --workspace --all-targets
	bash scripts/conformance.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

conformance:
	bash scripts/conformance.sh

clean:
	$(CARGO) clean
