# ferry — build, test and install.
#
#   make                      release build of ferry and every plugin
#   make test                 the whole test suite (scripts/test.sh; installs the test servers)
#   make install              PREFIX=/usr/local DESTDIR= (relocatable: the installed ferry finds its
#                             plugins in PREFIX/lib/ferry/plugins-EPOCH with no environment variables)
#   make install-host / make install-plugin-NAME
#                             the pieces a distribution packages separately
#
# Distributions: build with FERRY_SYSTEM_PLUGIN_DIR=/usr/lib/ferry/plugins-EPOCH (or the
# multiarch directory) so ferry also looks there; see docs/packaging.md.

PREFIX ?= /usr/local
# Compiled into ferry as the distribution's plugin directory when set.
export FERRY_SYSTEM_PLUGIN_DIR
DESTDIR ?=
CARGO ?= cargo
PLUGINS ?= local ftp ftps exist sftp
EPOCH := $(shell sed -n 's/^pub const EPOCH: &str = "\(.*\)";/\1/p' plugin-api/src/lib.rs)
RELEASE := target/release

BINDIR := $(DESTDIR)$(PREFIX)/bin
PLUGINDIR := $(DESTDIR)$(PREFIX)/lib/ferry/plugins-$(EPOCH)
MANDIR := $(DESTDIR)$(PREFIX)/share/man/man1
DOCDIR := $(DESTDIR)$(PREFIX)/share/doc/ferry
BASHDIR := $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHDIR := $(DESTDIR)$(PREFIX)/share/zsh/site-functions
FISHDIR := $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d

.PHONY: all build test install install-host install-plugins clean-install

all: build

# Cargo runs with make's own variables taken out of its environment: the vendored OpenSSL
# (plugins/sftp) is built by its own `make install_dev`, which would otherwise inherit DESTDIR —
# from the command line through MAKEFLAGS, or from the environment — and install itself under
# the staging root instead of cargo's build directory ("OpenSSL library directory does not exist").
CARGO_ENV := env -u DESTDIR -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES

build:
	$(CARGO_ENV) $(CARGO) build --workspace --release --locked

test:
	scripts/test.sh

install: install-host install-plugins

install-host: build
	install -Dm755 $(RELEASE)/ferry $(BINDIR)/ferry
	$(RELEASE)/ferry man --dir $(MANDIR)
	install -d $(BASHDIR) $(ZSHDIR) $(FISHDIR) $(DOCDIR)
	$(RELEASE)/ferry completions bash > $(BASHDIR)/ferry
	$(RELEASE)/ferry completions zsh > $(ZSHDIR)/_ferry
	$(RELEASE)/ferry completions fish > $(FISHDIR)/ferry.fish
	cp -R README.md docs/. $(DOCDIR)/

install-plugins: $(addprefix install-plugin-,$(PLUGINS))

install-plugin-%: build
	install -Dm644 $(RELEASE)/libferry_backend_$*.so $(PLUGINDIR)/libferry_backend_$*.so
