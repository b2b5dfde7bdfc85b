"""Serve StreamLab with gunicorn and the gevent worker: run plain `gunicorn` in this folder.

Settings: https://docs.gunicorn.org/en/stable/settings.html
"""

import itertools
import os
import resource
import tempfile

from web.open_streams import clear_slot, create_file, make_room

wsgi_app = "app:create_app()"
bind = "127.0.0.1:5000"  # the same address as `flask run`; a classroom adds -b 0.0.0.0:5000

# One gevent worker per core; each holds thousands of streams, a greenlet each, asleep between chunks.
worker_class = "web.worker.StreamWorker"  # gunicorn's gevent worker, one system call per write
workers = os.cpu_count() or 1
worker_connections = 10_000  # gevent's default, 1000, is fewer than a big class opens
backlog = 4096  # connections waiting to be accepted when a whole class presses Send at once

# A request line may be at most 8,190 bytes: gunicorn's own bound, and what proxies such as nginx
# allow. Its parser re-scans a long line on every read, so without a bound one 16 MB request line
# once held a worker (and every stream on it) for 30 s. A GET prompt must fit the URL once
# percent-encoded (about 900 Chinese characters); long prompts and history go by POST.
limit_request_line = 8190

# The gevent worker reports to the arbiter from its own greenlet, so `timeout` never cuts a long
# stream; it only catches a worker that is truly stuck.
timeout = 30

# On shutdown (SIGTERM) each open stream ends cleanly at its next tick (see post_worker_init);
# clients reconnect with Last-Event-ID and continue on the next server. This is the most a
# stream may take to get there, for example a stall without heartbeats.
graceful_timeout = 10

# gunicorn 24+ opens a control socket at one fixed path per user; StreamLab does not use it,
# and a second server on the same machine (a test run, say) would fight over that path.
control_socket_disable = True


def on_starting(server):
    """Raise the open-files limit, and create the file in which workers count their open streams."""
    raise_open_files_limit(server)
    handle, path = tempfile.mkstemp(prefix="streamlab-open-streams-")
    os.close(handle)
    create_file(path, 2 * server.cfg.workers)  # a reload overlaps old and new workers
    os.environ["FLASK_OPEN_STREAMS_FILE"] = path  # create_app() reads FLASK_* variables


def raise_open_files_limit(server):
    """Every stream holds a file descriptor, and a shell's default soft limit is often 1,024.

    The soft limit may be raised up to the hard one without privileges; workers inherit it. Above
    what a worker can hold (its limit less 64), it answers new streams 503 instead of failing to
    accept them, so even a low hard limit never leaves a class waiting in silence.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    server.log.info("Open files limit: %s per worker", "unlimited" if hard == resource.RLIM_INFINITY else hard)


def pre_fork(server, worker):
    """Give the new worker the lowest slot no live worker holds, growing the file if need be."""
    taken = {other.streamlab_slot for other in server.WORKERS.values()}
    worker.streamlab_slot = next(slot for slot in itertools.count() if slot not in taken)
    make_room(os.environ["FLASK_OPEN_STREAMS_FILE"], worker.streamlab_slot)


def post_fork(server, worker):
    """Tell the worker's app which slot is its own."""
    os.environ["FLASK_OPEN_STREAMS_SLOT"] = str(worker.streamlab_slot)


def post_worker_init(worker):
    """Tell the app's streams to end once this worker is asked to stop; spare the collector the app."""
    import gc

    import gevent

    # The garbage collector pauses a worker, and every stream on it, while it looks at objects. The
    # app and its modules live as long as the worker: freeze them out of every collection. And a
    # stream's objects die young, freed as they go: collect the young generation every 20,000
    # allocations, not 700. Measured at 5,000 streams (bench/run.py): the p99 gap from 163-195 ms
    # to 108, the p99 first byte from 861-1,121 ms to about 640, memory per stream unchanged.
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)

    stopping = worker.wsgi.extensions["streamlab.stopping"]

    def watch():
        while worker.alive:
            gevent.sleep(0.2)
        stopping.set()

    gevent.spawn(watch)


def child_exit(server, worker):
    """Zero a finished worker's slot: streams it held when it died were never counted down."""
    clear_slot(os.environ["FLASK_OPEN_STREAMS_FILE"], worker.streamlab_slot)


def on_exit(server):
    """Remove the counts file."""
    os.unlink(os.environ["FLASK_OPEN_STREAMS_FILE"])
