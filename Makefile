# clinic-intake: one plain GNU Makefile.
#   make run     install what is missing, build, serve on 127.0.0.1:$(PORT)
#   make check   install what is missing, build, run every test suite
#   make bench   benchmarks (see bench/)
#   make psql    psql on the development database
#   make fuzz    run every fuzz target for FUZZ_SECONDS each
#   SAN=1        build with AddressSanitizer + UndefinedBehaviorSanitizer

PORT	?= 8080
SAN	?=
CC	?= cc
PKGS	 = libxml-2.0 libsodium libpq fcgi libseccomp

ifeq ($(SAN),1)
B	 = build-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -DNO_SANDBOX
else
B	 = build
SANFLAGS = -D_FORTIFY_SOURCE=2
endif

WARN	 = -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
	   -Wwrite-strings -Werror=format-security -Werror=implicit-function-declaration
HARDEN	 = -fstack-protector-strong -fPIE
CFLAGS	?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(CFLAGS) $(WARN) $(HARDEN) $(SANFLAGS) \
	   -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS	+= -pie -Wl,-z,relro,-z,now
LIBS	 = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lunistring -lm

# The library every program links: each folder is one concern.
LIB_DIRS = src/core src/form src/screen src/crypto src/store src/web src/record
LIB_SRC	 = $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c))
LIB_OBJ	 = $(LIB_SRC:%.c=$(B)/obj/%.o)
LIB	 = $(B)/libclinic.a

intake_SRC = $(wildcard src/intake/*.c)
clinic_SRC = $(wildcard src/clinic/*.c)
admin_SRC  = $(wildcard src/admin/*.c)
PROGS	 = $(B)/bin/intake-worker $(B)/bin/intakectl $(B)/bin/formxsd
ifneq ($(clinic_SRC),)
PROGS	+= $(B)/bin/clinic-worker
endif
ifneq ($(wildcard bench/fcgi_hello.c),)
PROGS	+= $(B)/bin/fcgi-hello
endif

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
TEST_SUPPORT = $(wildcard tests/unit/support/*.c)

.PHONY: all run check check-unit check-integration check-browser bench psql \
	fuzz deps deps-test clean schemas

all: $(PROGS) $(UNIT_BIN)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/bin/intake-worker: $(intake_SRC:%.c=$(B)/obj/%.o) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/bin/clinic-worker: $(clinic_SRC:%.c=$(B)/obj/%.o) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/bin/intakectl: $(admin_SRC:%.c=$(B)/obj/%.o) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# Writes schemas/intake-v1.xsd from the form definition.
$(B)/bin/formxsd: $(B)/obj/tools/formxsd.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

schemas: $(B)/bin/formxsd
	$(B)/bin/formxsd schemas/form-v1.xml schemas/form-definition.xsd > schemas/intake-v1.xsd.new
	mv schemas/intake-v1.xsd.new schemas/intake-v1.xsd

# The GET ceiling of the benchmark: the least a libfcgi responder can do.
$(B)/bin/fcgi-hello: $(B)/obj/bench/fcgi_hello.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(TEST_SUPPORT:%.c=$(B)/obj/%.o) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

deps:
	@tools/deps.sh run

deps-test:
	@tools/deps.sh check

run: deps
	@$(MAKE) --no-print-directory all
	@CLINIC_BUILD=$(B) PORT=$(PORT) tools/stack run

check: deps-test
	@$(MAKE) --no-print-directory all
	@CLINIC_BUILD=$(B) tests/run-all

check-unit: all
	@CLINIC_BUILD=$(B) tests/run-unit

check-integration: all
	@CLINIC_BUILD=$(B) tests/run-integration

check-browser: all
	@CLINIC_BUILD=$(B) tests/run-browser

bench: deps-test
	@$(MAKE) --no-print-directory all
	@bench/run

psql:
	@tools/stack psql

fuzz:
	@tests/fuzz/run $${FUZZ_SECONDS:-60}

clean:
	rm -rf build build-san

-include $(shell find $(B)/obj -name "*.d" 2>/dev/null)
