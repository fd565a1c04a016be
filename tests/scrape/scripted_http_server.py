"""A loopback TCP server that answers each HTTP request with scripted bytes, for testing the scrape
client against what real servers do: keep-alive, closing idle connections, slow or broken answers."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Reply:
    """Bytes to send after `delay_s`; `close` closes the connection afterwards."""

    data: bytes
    close: bool = False
    delay_s: float = 0.0


def http_response(body: bytes, status: str = "200 OK", headers: tuple[str, ...] = (),
                  content_type: str = "text/plain; version=0.0.4") -> bytes:
    """A complete HTTP/1.1 response with a Content-Length."""
    head = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def chunked_response(pieces: list[bytes], headers: tuple[str, ...] = ()) -> bytes:
    """A 200 response with `Transfer-Encoding: chunked`, one chunk per piece."""
    head = ["HTTP/1.1 200 OK", "Content-Type: text/plain; version=0.0.4", "Transfer-Encoding: chunked", *headers]
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces if piece)
    return ("\r\n".join(head) + "\r\n\r\n").encode() + chunks + b"0\r\n\r\n"


class ScriptedServer:
    """Answers the n-th request (counting from 0, over all connections) with `respond(n, request)`.
    Records every request's head and counts the connections accepted."""

    def __init__(self, respond: Callable[[int, bytes], Reply]) -> None:
        self.requests: list[bytes] = []
        self.connections = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with outer._lock:
                    outer.connections += 1
                sock: socket.socket = self.request
                pending = b""
                while True:
                    while b"\r\n\r\n" not in pending:
                        data = sock.recv(65536)
                        if not data:
                            return
                        pending += data
                    head, _, pending = pending.partition(b"\r\n\r\n")
                    with outer._lock:
                        number = len(outer.requests)
                        outer.requests.append(head)
                    reply = respond(number, head)
                    time.sleep(reply.delay_s)
                    try:
                        sock.sendall(reply.data)
                    except OSError:
                        return
                    if reply.close:
                        sock.shutdown(socket.SHUT_RDWR)
                        return

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def url(self, path: str = "/metrics") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
