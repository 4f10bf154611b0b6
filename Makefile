# One-word entries: `make demo` and `make test` install what is missing, configure, build and
# run. Everything else is a step of those two.
BUILD      ?= build
ASAN_BUILD ?= build-asan
NCCL_BUILD ?= build-nccl
JOBS       ?= $(shell nproc)
CUDA_ROOT  ?= /usr/local/cuda
CTEST_ARGS ?=

.PHONY: all setup test-data configure build demo test test-main test-sanitize test-nccl-link test-fast \
        bench format clean

all: build

setup:
	bash scripts/setup.sh

# What only the tests need: Chromium (report.html is checked in a real browser) and the
# conformance files other tools wrote (pydicom's and nibabel's test data), from Debian packages.
test-data:
	bash scripts/setup.sh --tests
	bash scripts/fetch_test_data.sh

configure: setup
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: configure
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	$(BUILD)/unetx demo -o demo-output

# The whole suite: release build (unit, cli, slow), the sanitizer build of the unit tests,
# and the NCCL communicator compiled and linked against CUDA + NCCL.
test: test-main test-sanitize test-nccl-link

test-main: build test-data
	cd $(BUILD) && ctest --output-on-failure --timeout 1200 -j$(JOBS) $(CTEST_ARGS)

# Quick loop while developing: unit tests only, no slow ones.
test-fast: build test-data
	cd $(BUILD) && ctest --output-on-failure -L unit -LE slow -j$(JOBS)

test-sanitize: setup test-data
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Sanitize -DUNETX_SANITIZE=ON \
	      -DCMAKE_CXX_FLAGS_SANITIZE="-O0 -g1" -DCMAKE_C_FLAGS_SANITIZE="-O0 -g1" \
	      -DUNETX_BUILD_BENCH=OFF
	cmake --build $(ASAN_BUILD) -j$(JOBS) --target test_io test_models test_pipeline test_xai \
	      test_distributed
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=0:detect_odr_violation=0 \
	      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	      ctest --output-on-failure -L unit -LE slow -j$(JOBS)

test-nccl-link: setup
	cmake -S . -B $(NCCL_BUILD) -G Ninja -DUNETX_WITH_NCCL=ON -DCUDAToolkit_ROOT=$(CUDA_ROOT) \
	      -DUNETX_BUILD_TESTS=OFF -DUNETX_BUILD_BENCH=OFF
	cmake --build $(NCCL_BUILD) -j$(JOBS) --target nccl_link_check
	@echo "NCCL communicator compiled and linked: $(NCCL_BUILD)/nccl_link_check"

bench: build
	$(BUILD)/bench/bench_unet
	$(BUILD)/bench/bench_models
	$(BUILD)/bench/bench_train
	$(BUILD)/bench/bench_inference
	$(BUILD)/bench/bench_preprocess
	$(BUILD)/bench/bench_io
	$(BUILD)/bench/bench_metrics
	$(BUILD)/bench/bench_evaluate
	$(BUILD)/bench/bench_distributed
	$(BUILD)/bench/bench_explain
	$(BUILD)/bench/bench_uncertainty

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(NCCL_BUILD)
