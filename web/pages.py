"""The classroom page, served with a Content-Security-Policy that allows no inline script."""

from flask import Blueprint, Response, render_template, request

from streamlab.options import Option, schema
from web.i18n import STRINGS, language_of

bp = Blueprint("pages", __name__)


def for_the_page(option: Option) -> dict[str, object]:
    """An option as the page's scripts read it: plain JSON values."""
    number = option.number
    return {"name": option.name, "help": option.help, "default": option.default, "values": list(option.values),
            "low": number and number.low, "high": number and number.high, "unit": number and number.unit,
            "whole": number is not None and number.whole}


# The schema the server validates with: the page builds its menus and boxes from it.
PAGE_OPTIONS = [for_the_page(option) for option in schema()]

# Only this server's own files: no inline script or style, no other origins, no framing.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@bp.get("/")
def classroom() -> Response:
    """Show the side-by-side comparison page, in the language the class reads."""
    language = language_of(request)
    page = render_template("index.html", options=PAGE_OPTIONS, lang=language, t=STRINGS[language])
    return Response(page, headers={"Vary": "Accept-Language", "Content-Language": language})


# On every response: browsers must not guess a type other than the one sent (a JSON error is not
# a page), and no page of StreamLab tells another site what it was (the prompt is in the URL).
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@bp.after_app_request
def add_security_headers(response: Response) -> Response:
    """Send the security headers with every response, and the CSP with every HTML page."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CSP)
    return response
