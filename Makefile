# vae -- a variational autoencoder for SQLite tables. See README.md.
CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wno-unused-parameter -fPIC
BLAS_CFLAGS := $(shell pkg-config --cflags openblas 2>/dev/null || echo -I/usr/include/x86_64-linux-gnu/openblas-pthread)
BLAS_LIBS   := $(shell pkg-config --libs openblas 2>/dev/null || echo -lopenblas)
LIBS    = $(BLAS_LIBS) -lm

CORE_SRC = $(sort $(wildcard core/*.c))
EXT_SRC  = $(sort $(wildcard ext/*.c))
CORE_OBJ = $(CORE_SRC:%.c=build/%.o)
EXT_OBJ  = $(EXT_SRC:%.c=build/%.o)

PREFIX  ?= /usr/local

.PHONY: all test demo bench clean deps
all: vae.so

build/%.o: %.c $(wildcard core/*.h ext/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BLAS_CFLAGS) -c $< -o $@

build/libvaecore.a: $(CORE_OBJ)
	ar rcs $@ $^

vae.so: $(EXT_OBJ) build/libvaecore.a
	$(CC) -shared -o $@ $(EXT_OBJ) build/libvaecore.a $(LIBS)

deps:
	@sh tools/deps.sh build

TEST_BINS = build/test_core build/test_json build/oom_ext

build/test_%: tests/test_%.c build/libvaecore.a tests/test_util.h
	$(CC) $(CFLAGS) $(BLAS_CFLAGS) -Icore $< build/libvaecore.a $(LIBS) -o $@

# Out-of-memory injection drives vae.so through SQLite's allocator hooks.
build/oom_ext: tests/oom_ext.c
	@mkdir -p build
	$(CC) $(CFLAGS) $< -lsqlite3 -ldl -o $@

test: vae.so $(TEST_BINS)
	@sh tests/run.sh

demo: deps vae.so
	@sh samples/demo.sh

bench: vae.so
	@sh bench/run.sh

clean:
	rm -rf build vae.so
