#!/usr/bin/env python3
"""pyftpdlib server for ferry's tests, on 127.0.0.1 only.

MLSD/MLST and MFMT; explicit TLS with --cert (cert and key in one PEM); --hostile makes the
listing of any directory named `hostile` return crafted MLSD lines (names with `/`, `..`, NUL, an
empty name, unknown facts) beside one real file; --throttle N limits data connections to N bytes/s;
--max-per-ip N refuses a client's connections beyond N with 421 (pyftpdlib's max_cons_per_ip).
"""
import argparse
import os
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.filesystems import AbstractedFS
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

HOSTILE_LINES = [
    "type=file;size=5;modify=20260101000000; ../escape.txt",
    "type=file;size=5;modify=20260101000000; sub/inner.txt",
    "type=file;size=5;modify=20260101000000; ",
    "type=file;size=5;modify=20260101000000; nul\x00name",
    "type=dir;modify=20260101000000; ..",
    "type=file;size=5;modify=20260101000000;x.weird=1;UNIX.owner=0; good.txt",
]


class HostileFS(AbstractedFS):
    def format_mlsx(self, basedir, listing, perms, facts, ignore_err=True):
        if os.path.basename(basedir.rstrip("/")) == "hostile":
            for line in HOSTILE_LINES:
                yield (line + "\r\n").encode("utf-8", "surrogateescape")
            return
        yield from super().format_mlsx(basedir, listing, perms, facts, ignore_err)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--hostile", action="store_true")
    ap.add_argument("--throttle", type=int, help="bytes per second for data transfers")
    ap.add_argument("--max-per-ip", type=int, default=0, help="connections per client address")
    a = ap.parse_args()
    auth = DummyAuthorizer()
    auth.add_user(a.user, a.password, a.root, perm="elradfmwMT")
    handler = FTPHandler
    if a.cert:
        from pyftpdlib.handlers import TLS_FTPHandler
        handler = TLS_FTPHandler
        handler.certfile = a.cert
        handler.tls_control_required = True
        handler.tls_data_required = True
    handler.authorizer = auth
    if a.hostile:
        handler.abstracted_fs = HostileFS
    if a.throttle:
        from pyftpdlib.handlers import ThrottledDTPHandler
        dtp = ThrottledDTPHandler
        dtp.read_limit = a.throttle
        dtp.write_limit = a.throttle
        handler.dtp_handler = dtp
    handler.banner = "ferry test server"
    handler.timeout = 60
    server = FTPServer(("127.0.0.1", a.port), handler)
    server.max_cons = 256
    server.max_cons_per_ip = a.max_per_ip
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
