"""`flask chat`: stream a reply from a running StreamLab into the terminal, for demos without a browser.

It is a complete POST + SSE client: it parses frames incrementally, stops at the end signal,
and after a dropped connection resumes by re-sending the body with Last-Event-ID.
"""

import codecs
import http.client
import json
import re
import ssl
import sys
import time
from collections.abc import Callable
from typing import IO
from urllib.parse import urlsplit

import click
from click.decorators import FC
from flask import Flask

from streamlab.decoder import Decoder, Message
from streamlab.options import Option, schema

MAX_RECONNECTS = 100
END_SIGNALS = {"sentinel": "data: [DONE]", "event": "event: end"}  # what --end makes the server send
CONTROL = {code: f"\\x{code:02x}" for code in [*range(32), 127]}  # shown escaped in --raw
LINE_END = re.compile(r"\r\n|\r(?!\Z)|\n")  # SSE's three line endings; a CR last in a read may be half a CRLF


class Ended(Exception):
    """The stream finished: an end signal, an error frame, or a 204."""


class Complete(Exception):
    """The server answered a resume with 204: it has nothing more to send."""


class Cut(click.ClickException):
    """The stream stopped without its end signal, and there is nothing to resume from: exit status 1."""


def ends(message: Message) -> bool:
    """Say whether the stream is over: the end signal, or an error frame."""
    return message.event in ("end", "error") or message.data == "[DONE]"


def show(message: Message, frame: str) -> None:
    """Print one event's text, or stop at the end signal or an error frame."""
    if message.event == "error":
        click.echo(f"\nerror from the stream: {message.data}", err=True)
    if ends(message):
        raise Ended
    text = json.loads(message.data)["content"] if frame == "json" else message.data
    click.echo(text, nl=False)


def refusal(response: http.client.HTTPResponse) -> str:
    """Why the server refused: StreamLab's JSON error, or what a proxy in front of it said."""
    body = response.read()
    try:
        error = json.loads(body)["error"]
        return f"{error['message']} (field: {error['field']})"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status} {response.reason}: {body[:200].decode('utf-8', 'replace')}"


def read_some(response: http.client.HTTPResponse) -> bytes:
    """The body's next bytes; none once it ends, or once it breaks mid-stream (a truncated chunk, a
    reset connection: the caller resumes from the last id)."""
    try:
        return response.read1(65536)
    except (http.client.HTTPException, OSError):
        return b""


def connect(url: str) -> http.client.HTTPConnection:
    """A connection to url: HTTPS (certificates checked, as a browser does) or plain HTTP."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return http.client.HTTPSConnection(parts.hostname or "127.0.0.1", parts.port or 443, timeout=30)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)


def show_lines(lines: list[str], started: float) -> None:
    """Print wire lines for --raw, each with ms since the request and its control characters escaped."""
    for line in lines:
        click.echo(f"{(time.monotonic() - started) * 1000:8.0f} ms  {line.translate(CONTROL)}")


def read(url: str, body: dict[str, object], last_id: str, raw: bool, started: float, token: str | None) -> str:
    """Read one connection to its end; return the last event id seen, raise Ended when done."""
    connection = connect(url)
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
    if last_id:
        headers["Last-Event-ID"] = last_id
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request("POST", urlsplit(url).path.rstrip("/") + "/api/chat", json.dumps(body), headers)
        response = connection.getresponse()
        if response.status == 204:
            raise Complete
        if response.status != 200:
            raise click.ClickException(refusal(response))
        decoder, text, pending, ended = Decoder(), codecs.getincrementaldecoder("utf-8")("replace"), "", False
        while chunk := read_some(response):
            if raw:  # a character cut between two reads (split=on) is shown whole
                *lines, pending = LINE_END.split(pending + text.decode(chunk))
                show_lines(lines, started)
            for message in decoder.feed(chunk):
                if not raw:
                    show(message, str(body["frame"]))
                ended = ended or ends(message)  # --raw reads on to the close, to show every byte
        show_lines([pending.removesuffix("\r")] if pending else [], started)  # a last line without its end
        if ended:
            raise Ended
        return decoder.last_event_id or last_id
    finally:
        connection.close()


def click_option(option: Option) -> Callable[[FC], FC]:
    """Offer one stream option as a command-line option, with its values or range and its help."""
    flag = "--" + option.name.replace("_", "-")
    if option.values:
        return click.option(flag, type=click.Choice(option.values), default=option.default, show_default=True,
                            help=option.help)
    assert option.number is not None
    low, high = option.number.low, option.number.high
    kind = click.IntRange(int(low), int(high)) if option.number.whole else click.FloatRange(low, high)
    return click.option(flag, type=kind, default=option.default, show_default=option.default is not None,
                        help=f"{option.help} ({option.number.unit})")


def stream_options(command: FC) -> FC:
    """Add every stream option StreamLab has: the same schema the server validates with."""
    for option in reversed(schema()):
        command = click_option(option)(command)
    return command


def read_history(_context: click.Context, _parameter: click.Parameter, file: IO[str] | None) -> list[object] | None:
    """Load --history: a JSON list of {"role": ..., "content": ...} (the server checks each message)."""
    if file is None:
        return None
    try:
        history = json.load(file)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise click.BadParameter(f"{file.name} is not JSON ({error})") from None
    if not isinstance(history, list):
        raise click.BadParameter(f'{file.name} must hold a JSON list of {{"role": ..., "content": ...}}')
    return history


@click.command("chat")
@click.argument("prompt")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, envvar="STREAMLAB_URL",
              help="StreamLab's address.")
@stream_options
@click.option("--history", type=click.File(encoding="utf-8"), callback=read_history,
              help='A JSON file: the conversation so far, a list of {"role": "user" | "assistant", "content": TEXT}.')
@click.option("--raw", is_flag=True, help="Show the lines on the wire, with ms since the request.")
@click.option("--token", envvar="STREAMLAB_TOKEN", help="The class's access token, when the server asks for one.")
def chat(prompt: str, url: str, raw: bool, history: list[object] | None, token: str | None, **options: object) -> None:
    """Stream a reply to PROMPT from a running StreamLab.

    Exits with status 1 when the stream stops without its end signal (a cut the client cannot resume).
    """
    body = {"message": prompt, **{name: value for name, value in options.items() if value is not None}}
    if history is not None:
        body["history"] = history
    started, last_id = time.monotonic(), ""
    try:
        for _ in range(MAX_RECONNECTS + 1):
            resumed_from, last_id = last_id, read(url, body, last_id, raw, started, token)
            if not last_id or last_id == resumed_from:
                break  # closed without ids (or progress): there is nothing to resume from
            if raw:
                click.echo(f"{'':8}    (connection closed; reconnecting with Last-Event-ID: {last_id})")
        if signal := END_SIGNALS.get(str(body["end"])):  # with end=close, closing is the end signal
            click.echo()
            resume = f"the last id was {last_id}" if last_id else "it had no ids to resume from"
            raise Cut(f"the stream was cut without its end signal ({signal}); {resume}")
    except Complete:
        if (signal := END_SIGNALS.get(str(body["end"]))) and last_id:
            click.echo()
            raise Cut(f"the stream was cut without its end signal ({signal}): the server answered the resume "
                      f"from id {last_id} with 204, so the reply is complete but its end never arrived") from None
    except Ended:
        pass
    except ssl.SSLCertVerificationError as error:
        raise click.ClickException(f"{url} has a certificate this machine does not trust ({error.verify_message}). "
                                   "deploy/cluster --tls makes its own: trust it with "
                                   "SSL_CERT_FILE=deploy/tls/streamlab.crt") from None
    except OSError as error:
        raise click.ClickException(f"cannot reach StreamLab at {url} ({error}). Is it running?") from None
    if not raw:
        click.echo()
    sys.stdout.flush()


def register(app: Flask) -> None:
    """Add `flask chat` to app's command line."""
    app.cli.add_command(chat)
