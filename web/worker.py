"""The classroom server's worker: gunicorn's gevent worker, writing each event with one system call,
and refusing a request too big to read in JSON, like every other error of StreamLab's.

gevent's socket.sendall() asks the kernel for the socket's send-buffer size (a getsockopt system
call) before every write, so that it can cut a huge write into chunks (a workaround for PyPy). A
stream makes thousands of small writes, and that question doubled the system calls of each. This
worker's sockets send with send() alone, looping only when the kernel takes part of the data.

gunicorn refuses a request line over 8,190 bytes (a GET prompt too long for its URL) or too many or
too large headers itself, before the app sees the request, with an HTML page. This worker answers
those two in StreamLab's JSON, naming what to fix; any other error is gunicorn's own.
gunicorn.conf.py names it as the worker class; everything else is gunicorn's gevent worker.
"""

import json
from typing import Any

from gevent import socket
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.ggevent import GeventWorker

from web.pages import SECURITY_HEADERS

# gunicorn's refusals answered in JSON: status line, field, and the message (from gunicorn's settings).
TOO_BIG: dict[type[Exception], tuple[str, str, str]] = {
    LimitRequestLine: ("414 URI Too Long", "url", "the request line is over {cfg.limit_request_line:,} bytes once "
                       "percent-encoded: send long prompts and history by POST /api/chat"),
    LimitRequestHeaders: ("431 Request Header Fields Too Large", "headers", "the request has too many headers or too "
                          "large a header (at most {cfg.limit_request_fields}, of {cfg.limit_request_field_size:,} "
                          "bytes each)"),
}


class Socket(socket.socket):  # type: ignore[misc]  # gevent's socket is untyped
    """A gevent socket whose sendall() is send() until everything is sent."""

    def sendall(self, data: bytes, flags: int = 0) -> None:
        view = memoryview(data)
        while view:
            view = view[self.send(view, flags):]  # gevent's send() waits while the kernel's buffer is full


class StreamWorker(GeventWorker):  # type: ignore[misc]  # gunicorn is untyped
    def handle(self, listener: Any, client: socket.socket, addr: Any) -> None:
        if type(client) is socket.socket:  # a plain TCP connection (a TLS one keeps its own class)
            client = Socket(client.family, client.type, client.proto, fileno=client.detach())
        super().handle(listener, client, addr)

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: Exception) -> None:
        if type(exc) not in TOO_BIG:
            super().handle_error(req, client, addr, exc)
            return
        status, field, message = TOO_BIG[type(exc)]
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        body = json.dumps({"error": {"message": message.format(cfg=self.cfg), "field": field}}).encode()
        headers = {"Connection": "close", "Content-Type": "application/json", "Content-Length": len(body),
                   **SECURITY_HEADERS}
        head = f"HTTP/1.1 {status}\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        try:
            client.sendall(head.encode() + body)
        except OSError:
            pass  # the client has gone: nothing to tell
