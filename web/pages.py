"""The classroom page, served with a Content-Security-Policy that allows no inline script."""

from flask import Blueprint, Response, render_template

from streamlab.options import CHOICES

bp = Blueprint("pages", __name__)

# The valid values of each option, for the page's menus: the same tables the server validates with.
PAGE_CHOICES = {name: list(table) for name, table in CHOICES.items()}

# Only this server's own files: no inline script or style, no other origins, no framing.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@bp.get("/")
def classroom() -> str:
    """Show the side-by-side comparison page."""
    return render_template("index.html", choices=PAGE_CHOICES)


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
