"""Serve StreamLab with gunicorn and the gevent worker: run plain `gunicorn` in this folder.

Settings: https://docs.gunicorn.org/en/stable/settings.html
"""

import os
import tempfile

from web.open_streams import SLOTS, clear_slot, create_file

wsgi_app = "app:create_app()"
bind = "127.0.0.1:5000"  # the same address as `flask run`; a classroom adds -b 0.0.0.0:5000

# One gevent worker per core; each holds thousands of streams, a greenlet each, asleep between chunks.
worker_class = "gevent"
workers = os.cpu_count() or 1
worker_connections = 10_000  # gevent's default, 1000, is fewer than a big class opens
backlog = 4096  # connections waiting to be accepted when a whole class presses Send at once

# A GET /stream URL carries the prompt, and a 4,000-character prompt in UTF-8, percent-encoded,
# is far longer than gunicorn's default 4,094-byte request line. 0 lifts the limit so the app
# itself can answer an over-long prompt with its JSON error.
limit_request_line = 0

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
    """Create the file in which workers count their open streams, one slot each."""
    handle, path = tempfile.mkstemp(prefix="streamlab-open-streams-")
    os.close(handle)
    create_file(path)
    os.environ["FLASK_OPEN_STREAMS_FILE"] = path  # create_app() reads FLASK_* variables


def pre_fork(server, worker):
    """Give the new worker the lowest slot no live worker holds."""
    taken = {other.streamlab_slot for other in server.WORKERS.values()}
    worker.streamlab_slot = min(set(range(SLOTS)) - taken)


def post_fork(server, worker):
    """Tell the worker's app which slot is its own."""
    os.environ["FLASK_OPEN_STREAMS_SLOT"] = str(worker.streamlab_slot)


def post_worker_init(worker):
    """Tell the app's streams to end once this worker is asked to stop."""
    import gevent

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
