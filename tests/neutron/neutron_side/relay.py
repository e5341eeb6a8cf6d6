"""stdin/stdout <-> TCP 127.0.0.1:PORT, for QEMU's guestfwd=...-cmd:.

QEMU runs this once per guest connection with the connection as stdin/stdout, so a guest
behind ``restrict=on`` user networking reaches one loopback service of the host and
nothing else. Usage: python3 relay.py PORT
"""

from __future__ import annotations

import os
import socket
import sys
import threading


def main() -> None:
    sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))

    def guest_to_host() -> None:
        while True:
            data = os.read(0, 65536)
            if not data:
                break
            sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)

    threading.Thread(target=guest_to_host, daemon=True).start()
    while True:
        data = sock.recv(65536)
        if not data:
            break
        os.write(1, data)


if __name__ == "__main__":
    main()
