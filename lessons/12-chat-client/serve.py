"""StreamLab, plus your chat page at /chat/: one server, one origin, so the page may call /api/chat.

    .venv/bin/flask --app lessons/12-chat-client/serve.py run

Then open http://127.0.0.1:5000/chat/ (stop any other `flask run` first: they share the port).
It serves the files of exercise/ as they are now: edit chat.js, then reload the page.
"""

import sys
from pathlib import Path

from flask import Response, send_from_directory

FOLDER = Path(__file__).resolve().parent / "exercise"
sys.path.insert(0, str(FOLDER.parent.parent.parent))  # the project folder, where app.py is

from app import create_app  # noqa: E402  (after the line above, which lets Python find it)

app = create_app()


@app.get("/chat/")
@app.get("/chat/<path:name>")
def chat_page(name: str = "index.html") -> Response:
    """A file of exercise/, never cached, so a reload shows your latest chat.js."""
    response = send_from_directory(FOLDER, name, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response
