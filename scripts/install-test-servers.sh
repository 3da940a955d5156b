#!/usr/bin/env bash
# Installs the servers the integration suites start on 127.0.0.1: pure-ftpd (Debian), vsftpd and
# ProFTPD (Debian; they conflict with pure-ftpd, so their packages are only unpacked under
# target/, with the shared libraries ProFTPD links installed from apt) and pyftpdlib (PyPI, with pyOpenSSL for its TLS handler), and exist-shell (PyPI), the third-party
# eXist client that checks ferry's eXist test server; and zsh and fish (Debian), which run ferry's
# completion scripts in the CLI tests; OpenSSH's sshd (Debian's openssh-server) for the SFTP
# suites, and ssh-keygen, ssh-agent and ssh-add (openssh-client) for their keys. Idempotent:
# quick when all is present.
set -euo pipefail
cd "$(dirname "$0")/.."
servers=target/test-servers
mkdir -p "$servers"

need_apt=()
command -v pure-ftpd >/dev/null || need_apt+=(pure-ftpd)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v zsh >/dev/null || need_apt+=(zsh)
command -v fish >/dev/null || need_apt+=(fish)
[[ -x /usr/sbin/sshd ]] || need_apt+=(openssh-server)
command -v ssh-agent >/dev/null || need_apt+=(openssh-client)
if ((${#need_apt[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
    # The package starts a daemon on port 21; the tests start their own servers.
    (service pure-ftpd stop || pkill -x pure-ftpd || true) >/dev/null 2>&1
    # openssh-server's package starts sshd on port 22; the tests start their own.
    (service ssh stop || true) >/dev/null 2>&1
fi
# sshd's privilege separation directory (the packaged service makes it at boot).
mkdir -p /run/sshd

if [[ ! -x $servers/vsftpd/usr/sbin/vsftpd ]]; then
    (cd "$servers" && rm -f vsftpd_*.deb && apt-get download vsftpd >/dev/null 2>&1 \
        || { apt-get update -qq && apt-get download vsftpd >/dev/null; })
    dpkg -x "$servers"/vsftpd_*.deb "$servers/vsftpd"
fi

proftpd=$servers/proftpd
if [[ ! -x $proftpd/usr/sbin/proftpd || ! -f $proftpd/usr/lib/proftpd/mod_tls.so ]]; then
    (cd "$servers" && rm -f proftpd-*.deb \
        && { apt-get download proftpd-core proftpd-mod-crypto >/dev/null 2>&1 \
            || { apt-get update -qq && apt-get download proftpd-core proftpd-mod-crypto >/dev/null; }; })
    libraries=()
    for deb in "$servers"/proftpd-*.deb; do
        dpkg -x "$deb" "$proftpd"
        # Only the libraries: the rest (adduser, ucf, ...) serve the packaged daemon, not ours.
        mapfile -t -O "${#libraries[@]}" libraries < <(dpkg-deb -f "$deb" Depends | tr ',' '\n' \
            | sed 's/(.*)//; s/|.*//; s/ //g' | grep '^lib' | grep -v '^libpam-runtime$')
    done
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${libraries[@]}" >/dev/null 2>&1 \
        || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${libraries[@]}" >/dev/null; }
    if ldd "$proftpd/usr/sbin/proftpd" "$proftpd/usr/lib/proftpd/mod_tls.so" | grep 'not found'; then
        echo "proftpd: shared libraries missing" >&2
        exit 1
    fi
fi

if ! python3 -c 'import pyftpdlib, OpenSSL' 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check pyftpdlib pyopenssl
fi
if ! command -v exsh >/dev/null || ! python3 -c 'import exist_shell' 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check 'exist-shell==0.2.0'
fi
# The Unix account the FTP servers map their test user to (vsftpd logs in through PAM with it;
# pure-ftpd's virtual user runs as it).
if ! id ferrytest >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin ferrytest
fi
echo 'ferrytest:ferrytest-pw' | chpasswd
# vsftpd enters the account's home before its local_root.
mkdir -p "$(getent passwd ferrytest | cut -d: -f6)"
if [[ ! -f /etc/pam.d/vsftpd-ferry ]]; then
    printf 'auth required pam_unix.so\naccount required pam_unix.so\nsession required pam_unix.so\n' >/etc/pam.d/vsftpd-ferry
fi

echo "test servers: pure-ftpd $(command -v pure-ftpd), vsftpd $servers/vsftpd/usr/sbin/vsftpd, proftpd $proftpd/usr/sbin/proftpd, pyftpdlib $(python3 -c 'import pyftpdlib; print(pyftpdlib.__ver__)'), sshd /usr/sbin/sshd"
