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


@bp.after_app_request
def add_security_headers(response: Response) -> Response:
    """Send the CSP with every HTML page."""
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CSP)
    return response
