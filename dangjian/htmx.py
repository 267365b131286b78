"""Our one wrapper around htmx-flask (a single 2022 release): keep its surface small here."""
from flask import Response, make_response, render_template
from htmx_flask import Htmx

htmx = Htmx()


def is_htmx(request) -> bool:
    """True for an htmx request that is not a boosted full-page navigation."""
    htmx_headers = getattr(request, "htmx", None)
    return bool(htmx_headers) and not htmx_headers.boosted


def partial_or_page(request, page: str, partial: str, **context) -> str:
    """The same route answers a full page, or only the partial when htmx asks for it."""
    return render_template(partial if is_htmx(request) else page, **context)


def redirect(url: str) -> Response:
    """A redirect that htmx follows too (htmx ignores headers on 3xx responses)."""
    resp = make_response("", 204)
    resp.headers["HX-Redirect"] = url
    return resp


def trigger(resp: Response, event: str) -> Response:
    resp.headers["HX-Trigger"] = event
    return resp
