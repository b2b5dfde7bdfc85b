"""The classroom server's worker: gunicorn's gevent worker, writing each event with one system call.

gevent's socket.sendall() asks the kernel for the socket's send-buffer size (a getsockopt system
call) before every write, so that it can cut a huge write into chunks (a workaround for PyPy). A
stream makes thousands of small writes, and that question doubled the system calls of each. This
worker's sockets send with send() alone, looping only when the kernel takes part of the data.
gunicorn.conf.py names it as the worker class; everything else is gunicorn's gevent worker.
"""

from typing import Any

from gevent import socket
from gunicorn.workers.ggevent import GeventWorker


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
