"""Serve StreamLab with gunicorn and the gevent worker: run plain `gunicorn` in this folder.

Settings: https://docs.gunicorn.org/en/stable/settings.html
"""

wsgi_app = "app:create_app()"
bind = "127.0.0.1:5000"  # the same address as `flask run`; a classroom adds -b 0.0.0.0:5000

# One gevent worker holds thousands of streams: each is a greenlet that sleeps between chunks.
# One process also keeps /healthz's open_streams a true count of every open stream.
worker_class = "gevent"
workers = 1
worker_connections = 10_000  # gevent's default, 1000, is fewer than a big class opens

# A GET /stream URL carries the prompt, and a 4,000-character prompt in UTF-8, percent-encoded,
# is far longer than gunicorn's default 4,094-byte request line. 0 lifts the limit so the app
# itself can answer an over-long prompt with its JSON error.
limit_request_line = 0

# The gevent worker reports to the arbiter from its own greenlet, so `timeout` never cuts a long
# stream; it only catches a worker that is truly stuck.
timeout = 30

# gunicorn 24+ opens a control socket at one fixed path per user; StreamLab does not use it,
# and a second server on the same machine (a test run, say) would fight over that path.
control_socket_disable = True
