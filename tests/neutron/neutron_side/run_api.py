"""Serve neutron 29's API WSGI app on 127.0.0.1 with the stdlib server (run by neutron's venv).

neutron 29 has no neutron-server script: upstream runs ``neutron.wsgi.api:application``
under uwsgi or mod_wsgi. A threading wsgiref server is enough for tests and installs
nothing. Config files come from OS_NEUTRON_CONFIG_DIR / OS_NEUTRON_CONFIG_FILES, which
neutron's WSGI entry reads. Usage: python run_api.py PORT
"""

from __future__ import annotations

import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import sqlite_serial


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - wsgiref's signature
        sys.stderr.write("api: " + (format % args) + "\n")


def main() -> None:
    port = int(sys.argv[1])
    sys.argv = sys.argv[:1]  # neutron parses sys.argv[1:] as its own options
    sqlite_serial.install()
    from neutron.wsgi.api import application

    server = make_server(
        "127.0.0.1", port, application, server_class=ThreadingWSGIServer,
        handler_class=QuietHandler,
    )
    sys.stderr.write(f"api: serving on 127.0.0.1:{port}\n")
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
