"""Why stream: the same reply asked for whole and streamed, and when its first text arrives.

Each function takes StreamLab's chat endpoint with the options in its query string, e.g.
http://127.0.0.1:5000/api/chat?model=echo&delay=100, and sends {"message": prompt} to it.
Run it to print the reply three ways:  python timing.py URL PROMPT
"""

import sys
import time
from collections.abc import Iterator

import httpx

TIMEOUT = 60  # seconds without a byte before giving up: a real model may think a while first


def blocking_text(url: str, prompt: str) -> str:
    """Ask for the whole reply at once: nothing arrives until all of it is ready."""
    response = httpx.post(url, json={"message": prompt, "stream": False}, timeout=TIMEOUT)
    response.raise_for_status()
    return response.json()["content"]


def chunks(response: httpx.Response) -> Iterator[str]:
    """Yield the text of each event the moment its blank line arrives, until data: [DONE]."""
    for read in response.iter_text():  # THE MISTAKE: takes each read for whole events, keeps no buffer
        for block in read.split("\n\n"):
            for line in block.split("\n"):
                if line.startswith("data: "):
                    text = line.removeprefix("data: ")
                    if text == "[DONE]":
                        return
                    yield text


def whole_text(url: str, prompt: str) -> str:
    """Stream the reply and return all of it, joined."""
    with httpx.stream("POST", url, json={"message": prompt}, timeout=TIMEOUT) as response:
        response.raise_for_status()
        return "".join(chunks(response))


def first_text(url: str, prompt: str) -> str:
    """Stream the reply and return its first chunk as soon as it arrives."""
    with httpx.stream("POST", url, json={"message": prompt}, timeout=TIMEOUT) as response:
        response.raise_for_status()
        return next(chunks(response), "")  # leaving the with block closes the stream


def measure(url: str, prompt: str) -> tuple[float, float]:
    """Stream the reply; return the seconds from sending it to its first text, and to its end."""
    start = time.monotonic()
    first = None
    with httpx.stream("POST", url, json={"message": prompt}, timeout=TIMEOUT) as response:
        response.raise_for_status()
        for _ in chunks(response):
            if first is None:
                first = time.monotonic() - start
    total = time.monotonic() - start
    return (total if first is None else first), total


if __name__ == "__main__":
    url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000/api/chat?model=echo"
    prompt = sys.argv[2] if len(sys.argv) > 2 else "Hi 你好"
    print("blocking:  ", repr(blocking_text(url, prompt)))
    print("whole text:", repr(whole_text(url, prompt)))
    print("first text:", repr(first_text(url, prompt)))
