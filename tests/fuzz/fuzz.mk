# tests/fuzz/fuzz.mk: the fuzz targets, built by tests/fuzz/run from the
# top of the source tree (make -f tests/fuzz/fuzz.mk). The library sources
# are compiled again with clang, libFuzzer's coverage, AddressSanitizer
# and UBSan, and -DNO_SANDBOX (the sanitizers need system calls seccomp
# refuses); nothing here touches build/ outside $(O).
#
# A target is tests/fuzz/fuzz_NAME.c; it links tests/fuzz/support.c, the
# library, and the worker files listed in EXTRA_NAME (linked into the
# worker, not the library).

FUZZ_CC	?= clang-14
O	?= build/fuzz
PKGS	 = libxml-2.0 libsodium libpq fcgi libseccomp

WARN	 = -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
	   -Wwrite-strings -Werror=format-security -Werror=implicit-function-declaration
SAN	 = -fsanitize=address,undefined -fno-sanitize-recover=all
CFLAGS_FUZZ = -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer $(WARN) \
	   $(SAN) -DNO_SANDBOX -Isrc -Itests/fuzz \
	   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS	 = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lunistring -lm

# The same folders as the Makefile's LIB_DIRS.
LIB_DIRS = src/core src/form src/screen src/crypto src/store src/web src/record
LIB_SRC	 = $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c))
LIB_OBJ	 = $(LIB_SRC:%.c=$(O)/obj/%.o)
LIB	 = $(O)/libclinic.a

TARGETS	 = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
BINS	 = $(TARGETS:%=$(O)/bin/fuzz_%)

# Worker files a target needs besides the library.
EXTRA_parse_reply = src/intake/parse_child.c src/intake/pages.c
EXTRA_session = src/clinic/session.c src/clinic/pages.c
# fuzz_parse_child.c includes src/intake/parse_child.c itself.
extra_obj = $(patsubst %.c,$(O)/obj/%.o,$(EXTRA_$(1)))

.PHONY: all
# Keep the objects between runs (they are intermediate to make).
.SECONDARY:
all: $(BINS)

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS_FUZZ) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

.SECONDEXPANSION:
$(O)/bin/fuzz_%: $(O)/obj/tests/fuzz/fuzz_%.o $(O)/obj/tests/fuzz/support.o \
    $$(call extra_obj,$$*) $(LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS_FUZZ) -fsanitize=fuzzer -o $@ $^ $(LIBS)

-include $(shell find $(O)/obj -name "*.d" 2>/dev/null)
