# vae -- a variational autoencoder for SQLite tables. See README.md.
CC      ?= cc
# -O3 vectorizes the elementwise loops of core/ (tanh, bias sums, Adam,
# softmax); -fno-trapping-math lets it vectorize the clamped tanh, and
# -fno-math-errno sqrtf. Neither changes a result: nothing reads errno or
# floating-point exception flags.
CFLAGS  ?= -O3 -g
CFLAGS  += -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wno-unused-parameter -fPIC \
           -fno-math-errno -fno-trapping-math -fvisibility=hidden
# BLAS: a private copy of Debian's OpenBLAS (libopenblas-pthread-dev's
# archive), linked into vae.so and kept private by the version script
# below, its own thread count set to 1 once (core/nn.c): the small GEMMs of
# a VAE step run best on one thread, and vae's own threads (core/pool.c)
# run the shards of a batch. A shared OpenBLAS has one thread count for
# the whole process (0.3.21 has no per-thread setting): setting it would
# change the host's other users (numpy, another connection) in mid-call,
# and leaving it at the host's default made fits about twice as slow on a
# busy machine (README, Limits). Not the serial archive: it is not safe to
# call from two threads at once (0.3.21's buffer allocation takes no lock
# there: concurrent cblas_sgemm calls gave wrong products, 97 of 40,000 in
# tests/blas_threads.c). The pthread build locks it; its own worker
# threads (started when vae.so is loaded, one per further core) only sleep.
# Without the archive the build falls back to the shared OpenBLAS, whose
# thread count is then the host's.
BLAS_PRIVATE ?= /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.a
ifneq ($(wildcard $(BLAS_PRIVATE)),)
BLAS_CFLAGS := -I/usr/include/x86_64-linux-gnu/openblas-pthread -DVAE_PRIVATE_BLAS
BLAS_LIBS   := $(BLAS_PRIVATE)
else
BLAS_CFLAGS := $(shell pkg-config --cflags openblas 2>/dev/null || echo -I/usr/include/x86_64-linux-gnu/openblas-pthread)
BLAS_LIBS   := $(shell pkg-config --libs openblas 2>/dev/null || echo -lopenblas)
endif
LIBS    = $(BLAS_LIBS) -lm -lpthread
# The shared library exports sqlite3_vae_init and nothing else: core's and
# ext's functions are hidden (-fvisibility=hidden above) and the version
# script makes everything else local, so that a host defining the same
# names (json_parse, adam_step, ...) neither breaks nor is broken by vae.so.
# tests/symbols.sh checks it.
EXPORTS = ext/exports.map
SO_LDFLAGS = -Wl,--version-script=$(EXPORTS)

CORE_SRC = $(sort $(wildcard core/*.c))
EXT_SRC  = $(sort $(wildcard ext/*.c))
CORE_OBJ = $(CORE_SRC:%.c=build/%.o)
EXT_OBJ  = $(EXT_SRC:%.c=build/%.o)

PREFIX  ?= /usr/local

# The version, from its one source core/version.h (`make version` prints it).
VERSION := $(shell sed -n 's/^\#define VAE_VERSION "\([^"]*\)".*/\1/p' core/version.h)

# Build on every core unless a job count is given: serially, vae.so takes
# about 24 s here (core/objective.c alone 4.5 s, its AVX2 clones).
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 1)
endif

.PHONY: all test test-run demo bench clean deps
all: vae.so

build/%.o: %.c $(wildcard core/*.h ext/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BLAS_CFLAGS) -c $< -o $@

build/libvaecore.a: $(CORE_OBJ)
	rm -f $@ && ar rcs $@ $^

vae.so: $(EXT_OBJ) build/libvaecore.a $(EXPORTS)
	$(CC) -shared $(SO_LDFLAGS) -o $@ $(EXT_OBJ) build/libvaecore.a $(LIBS)

deps:
	@sh tools/deps.sh build

TEST_BINS = build/test_core build/test_json build/oom_ext build/preload_names.so

# Defines the names vae.so used to export; tests/symbols.sh preloads it.
build/preload_names.so: tests/preload_names.c
	@mkdir -p build
	$(CC) -shared -fPIC -o $@ $<

build/test_%: tests/test_%.c build/libvaecore.a tests/test_util.h tests/test_mem.h tests/blob_crc.h
	$(CC) $(CFLAGS) $(BLAS_CFLAGS) -Icore $< build/libvaecore.a $(LIBS) -o $@

# ext's JSON parser and option checks are free of sqlite3.h: their unit
# tests link them with core alone.
JSON_OBJ = build/ext/json.o build/ext/options.o
build/test_json: tests/test_json.c $(JSON_OBJ) build/libvaecore.a tests/test_mem.h
	$(CC) $(CFLAGS) $(BLAS_CFLAGS) -Iext -Icore $< $(JSON_OBJ) build/libvaecore.a $(LIBS) -o $@

# Out-of-memory injection drives vae.so through SQLite's allocator hooks.
build/oom_ext: tests/oom_ext.c
	@mkdir -p build
	$(CC) $(CFLAGS) $< -lsqlite3 -o $@

# ---- Sanitizers: the unit tests, oom_ext and a vae.so built with
# AddressSanitizer and UndefinedBehaviorSanitizer (any report aborts), in
# build/asan/. tests/run.sh runs them; the SQL tests load build/asan/vae.so
# into the sqlite3 shell with the ASan runtime preloaded.
SAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
ASAN_CORE_OBJ = $(CORE_SRC:%.c=build/asan/%.o)
ASAN_EXT_OBJ  = $(EXT_SRC:%.c=build/asan/%.o)
ASAN_BINS = build/asan/vae.so build/asan/test_core build/asan/test_json build/asan/oom_ext

build/asan/%.o: %.c $(wildcard core/*.h ext/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(BLAS_CFLAGS) -c $< -o $@

build/asan/libvaecore.a: $(ASAN_CORE_OBJ)
	rm -f $@ && ar rcs $@ $^

build/asan/vae.so: $(ASAN_EXT_OBJ) build/asan/libvaecore.a $(EXPORTS)
	$(CC) $(SAN_FLAGS) -shared $(SO_LDFLAGS) -o $@ $(ASAN_EXT_OBJ) build/asan/libvaecore.a $(LIBS)

build/asan/test_%: tests/test_%.c build/asan/libvaecore.a tests/test_util.h tests/test_mem.h tests/blob_crc.h
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(BLAS_CFLAGS) -Icore $< build/asan/libvaecore.a $(LIBS) -o $@

ASAN_JSON_OBJ = build/asan/ext/json.o build/asan/ext/options.o
build/asan/test_json: tests/test_json.c $(ASAN_JSON_OBJ) build/asan/libvaecore.a tests/test_mem.h
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(BLAS_CFLAGS) -Iext -Icore $< $(ASAN_JSON_OBJ) build/asan/libvaecore.a $(LIBS) -o $@

build/asan/oom_ext: tests/oom_ext.c
	@mkdir -p build/asan
	$(CC) $(CFLAGS) $(SAN_FLAGS) $< -lsqlite3 -o $@

# ---- Fuzzing (clang's libFuzzer): `make fuzz` runs each target for
# FUZZ_SECONDS from the seeds in tests/fuzz/ (tests/fuzz.sh); `make test`
# builds them too when clang can, and runs each for a few seconds.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
               -std=c99 -D_POSIX_C_SOURCE=200809L
FUZZ_BINS = build/fuzz/fuzz_options build/fuzz/fuzz_blob

JSON_SRC = ext/json.c ext/options.c
build/fuzz/fuzz_options: tests/fuzz_options.c tests/test_mem.h $(JSON_SRC) ext/json.h ext/options.h $(CORE_SRC) $(wildcard core/*.h)
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) $(BLAS_CFLAGS) -Iext -Icore tests/fuzz_options.c $(JSON_SRC) $(CORE_SRC) $(LIBS) -o $@

build/fuzz/fuzz_blob: tests/fuzz_blob.c tests/test_mem.h tests/blob_crc.h $(CORE_SRC) $(wildcard core/*.h)
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) $(BLAS_CFLAGS) -Icore tests/fuzz_blob.c $(CORE_SRC) $(LIBS) -o $@

fuzz: $(FUZZ_BINS)
	@sh tests/fuzz.sh $(FUZZ_SECONDS)

# Builds the fuzz targets when $(FUZZ_CC) is there; tests/run.sh skips them
# otherwise.
fuzz-if-clang:
	@if command -v $(FUZZ_CC) >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory $(FUZZ_BINS) || echo "fuzz targets not built: $(FUZZ_CC) failed"; \
	fi

# A decimal-comma locale for the tests of number text (tests/run.sh sets
# LOCPATH to build/locale for them), made with localedef from the sources
# of Debian's locales package when they are there.
build/locale/de_DE.UTF-8/LC_NUMERIC:
	@mkdir -p build/locale
	@localedef -i de_DE -f UTF-8 build/locale/de_DE.UTF-8 >/dev/null 2>&1 || \
	  test -f $@ || echo "no de_DE.UTF-8 locale built: the locale tests will skip or fail"

# ---- ThreadSanitizer (clang): vae.so and tests/threads.c built with
# -fsanitize=thread in build/tsan/; tests/run.sh runs two threads on two
# connections (one fitting, one imputing) and fails on any report. `make
# test` builds them when clang is there.
TSAN_CC    ?= clang
TSAN_FLAGS  = -g -O1 -fsanitize=thread -fPIC -fvisibility=hidden -std=c99 -D_POSIX_C_SOURCE=200809L
TSAN_BINS   = build/tsan/vae.so build/tsan/threads

build/tsan/vae.so: $(CORE_SRC) $(EXT_SRC) $(wildcard core/*.h ext/*.h) $(EXPORTS)
	@mkdir -p build/tsan
	$(TSAN_CC) $(TSAN_FLAGS) $(BLAS_CFLAGS) -shared $(SO_LDFLAGS) $(EXT_SRC) $(CORE_SRC) $(LIBS) -o $@

build/tsan/threads: tests/threads.c
	@mkdir -p build/tsan
	$(TSAN_CC) $(TSAN_FLAGS) $< -lsqlite3 -lpthread -o $@

tsan-if-clang:
	@if command -v $(TSAN_CC) >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory $(TSAN_BINS) || echo "ThreadSanitizer build failed: $(TSAN_CC)"; \
	fi

# The SQL tests under valgrind's memcheck, with the normal vae.so (about
# half a minute; make test runs them under ASan instead).
valgrind: vae.so
	@sh tests/valgrind.sh ./vae.so

.PHONY: fuzz fuzz-if-clang tsan-if-clang valgrind

# make test first installs what the tests need (tools/deps.sh test: as root
# it runs apt-get, otherwise it prints the command and stops), then builds
# and runs them (test-run). It also builds the sanitizer copy and, with
# clang, the fuzz and ThreadSanitizer targets.
test:
	@sh tools/deps.sh test
	@$(MAKE) --no-print-directory test-run

test-run: $(ASAN_BINS) fuzz-if-clang tsan-if-clang build/locale/de_DE.UTF-8/LC_NUMERIC

test-run: vae.so $(TEST_BINS)
	@sh tests/run.sh

demo: deps vae.so
	@sh samples/demo.sh

bench: vae.so
	@sh bench/run.sh

clean:
	rm -rf build vae.so
	rm -rf bindings/python/build bindings/python/*.egg-info bindings/node/build bindings/node/vae bindings/node/prebuilds

# ---- Install, and the C sample built with the extension compiled in.
# `make install` puts the extension in $(DESTDIR)$(LIBDIR) as libvae.so,
# with SONAME vae.so and the link vae.so -> libvae.so, so that `.load vae`
# (and load_extension('vae')) finds it without a path: SQLite tries dlopen
# on "vae", then "vae.so"; a name without a slash is looked up in
# ld.so.cache and then /lib, /usr/lib. ldconfig caches only files named
# lib*.so*, under their SONAME: hence libvae.so with SONAME vae.so. Run as
# root without DESTDIR, install and uninstall run ldconfig. PREFIX=/usr
# needs no ldconfig (/usr/lib is searched directly).
LIBDIR ?= $(PREFIX)/lib
LDCONFIG ?= $(shell PATH="$$PATH:/sbin:/usr/sbin" command -v ldconfig)

build/libvae.so: $(EXT_OBJ) build/libvaecore.a $(EXPORTS)
	$(CC) -shared -Wl,-soname,vae.so $(SO_LDFLAGS) -o $@ $(EXT_OBJ) build/libvaecore.a $(LIBS)

install: build/libvae.so
	install -d "$(DESTDIR)$(LIBDIR)"
	install -m 0644 build/libvae.so "$(DESTDIR)$(LIBDIR)/libvae.so"
	ln -sf libvae.so "$(DESTDIR)$(LIBDIR)/vae.so"
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && [ -n "$(LDCONFIG)" ]; then "$(LDCONFIG)"; fi
	@echo "installed $(DESTDIR)$(LIBDIR)/libvae.so and vae.so -> libvae.so; where $(LIBDIR) is on the linker's path, load it with .load vae"

uninstall:
	rm -f "$(DESTDIR)$(LIBDIR)/vae.so" "$(DESTDIR)$(LIBDIR)/libvae.so"
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && [ -n "$(LDCONFIG)" ]; then "$(LDCONFIG)"; fi

# samples/static.c with core/ and ext/ compiled in (-DSQLITE_CORE): the
# program needs no vae.so at run time. Run by tests/samples.sh.
build/samples/vae_static: samples/static.c $(CORE_SRC) $(EXT_SRC) $(wildcard core/*.h ext/*.h)
	@mkdir -p build/samples
	$(CC) $(CFLAGS) $(BLAS_CFLAGS) -DSQLITE_CORE samples/static.c $(CORE_SRC) $(EXT_SRC) -lsqlite3 $(LIBS) -o $@

samples: vae.so build/samples/vae_static

test-run: build/samples/vae_static

.PHONY: install uninstall samples

# ---- Packages: Python (pyproject.toml, setup.py, bindings/python) and npm
# (bindings/node); tests/packages.sh installs both into temporary places.
version:
	@echo $(VERSION)

.PHONY: version
