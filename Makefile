# docker-cleaner: the front door. CMake builds; ctest runs every test.
#
#   make            build build/docker-cleaner (installs the build's Debian packages if missing)
#   make demo       start a private engine, fill it, clean it, show the report
#   make test       install test engines, build, run every test (unit, protocol, end-to-end)
#   make run        run against DOCKER_HOST (default unix:///var/run/docker.sock); ARGS=... adds flags
#   make static     a static glibc binary (build-static/docker-cleaner)
#   make image      the container image (docker/Dockerfile: a static musl binary FROM scratch)
#   make image-test build and test the image on a private engine (no registry needed)
#   make asan       the whole test suite built with AddressSanitizer and UBSan (build-asan/)
#   make valgrind   the whole test suite with the binary under valgrind memcheck
#   make fuzz       the libFuzzer targets, FUZZ_SECONDS each (default 60), from tests/fuzz/corpus
#   make bench      benchmarks against a private Docker 26 engine, side by side with
#                   `docker system prune` (bench/README.md); not part of make test
#   make install    install the binary and its man page under PREFIX (default /usr/local)

BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
PREFIX ?= /usr/local
CMAKE_FLAGS ?=
CTEST_ARGS ?=
ARGS ?=
FUZZ_SECONDS ?= 60
BENCH_ARGS ?=
IMAGE ?= docker-cleaner
VERSION := $(shell sed -n 's/^project.docker-cleaner VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build test test-deps demo run static image image-test asan valgrind fuzz bench install clean

all: build

deps:
	vendor/fetch.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $$(nproc)

test-deps:
	$(SUDO) tests/engines/install-deps.sh

test: test-deps build
	cd $(BUILD) && $(SUDO) ctest --output-on-failure -j 3 $(CTEST_ARGS)

demo: test-deps build
	$(SUDO) examples/demo/demo.sh $(BUILD)/docker-cleaner

run: build
	$(BUILD)/docker-cleaner $(ARGS)

static: deps
	cmake -S . -B build-static -DCMAKE_BUILD_TYPE=Release -DDC_STATIC=ON -DDC_TESTS=OFF $(CMAKE_FLAGS)
	cmake --build build-static -j $$(nproc)

image:
	docker build -f docker/Dockerfile --build-arg VERSION=$(VERSION) \
		--build-arg REVISION=$$(git rev-parse --short HEAD 2>/dev/null || echo unknown) \
		-t $(IMAGE):$(VERSION) -t $(IMAGE):latest .

image-test: test-deps
	$(SUDO) tests/image/run.sh

asan: test-deps
	$(SUDO) tests/sanitize.sh asan $(CTEST_ARGS)

valgrind: test-deps
	$(SUDO) tests/sanitize.sh valgrind $(CTEST_ARGS)

fuzz: test-deps
	tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: test-deps deps
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDC_TESTS=OFF $(CMAKE_FLAGS)
	cmake --build build-bench -j $$(nproc)
	$(SUDO) bench/run.sh $(BENCH_ARGS)

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) build-static build-asan build-valgrind build-fuzz build-bench
