"""Lesson 01: why stream. Check your work with:  flask lesson check 01

Each function takes StreamLab's chat endpoint with the options in its query string, e.g.
http://127.0.0.1:5000/api/chat?model=echo&delay=100, and sends {"message": prompt} to it.
Read README.md first. Run it to print the reply three ways:  python timing.py URL PROMPT
"""

import sys
import time
from collections.abc import Iterator

import httpx

TIMEOUT = 60  # seconds without a byte before giving up: a real model may think a while first


def blocking_text(url: str, prompt: str) -> str:
    """Ask for the whole reply at once: nothing arrives until all of it is ready."""
    # TODO task 1: POST {"message": prompt, "stream": False} to url, return the "content" of the JSON answer.
    return ""


def chunks(response: httpx.Response) -> Iterator[str]:
    """Yield the text of each event the moment its blank line arrives, until data: [DONE]."""
    # TODO task 2: for each line of response.iter_lines(): keep the text of the data: lines (without
    # "data: "); at the blank line that ends an event, yield its text. Stop at the text [DONE].
    yield from ()


def whole_text(url: str, prompt: str) -> str:
    """Stream the reply and return all of it, joined."""
    with httpx.stream("POST", url, json={"message": prompt}, timeout=TIMEOUT) as response:
        response.raise_for_status()
        # TODO task 2: join the text of every chunk.
        return ""


def first_text(url: str, prompt: str) -> str:
    """Stream the reply and return its first chunk as soon as it arrives."""
    # TODO task 3: stream as whole_text does, but return the first chunk at once, without reading the rest.
    return ""


def measure(url: str, prompt: str) -> tuple[float, float]:
    """Stream the reply; return the seconds from sending it to its first text, and to its end."""
    start = time.monotonic()
    # TODO task 4: stream the reply; note time.monotonic() - start when the first chunk arrives, and again at the end.
    return 0.0, time.monotonic() - start


if __name__ == "__main__":
    url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000/api/chat?model=echo"
    prompt = sys.argv[2] if len(sys.argv) > 2 else "Hi 你好"
    print("blocking:  ", repr(blocking_text(url, prompt)))
    print("whole text:", repr(whole_text(url, prompt)))
    print("first text:", repr(first_text(url, prompt)))
