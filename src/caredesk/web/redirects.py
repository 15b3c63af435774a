"""Where to send people: safe same-site `next` targets and the redirect to the sign-in page."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from caredesk.accounts.sessions import SESSION_COOKIE, SessionCheck

LOGIN_PATH = "/login"


def safe_next(target: str | None, default: str = "/") -> str:
    """`target` when it is a path on this site, else `default`: never another host, so the
    sign-in page cannot be used to bounce people to a look-alike site."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ch in target for ch in "\\\r\n\t") or not target.isprintable():
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return default if parts.path == LOGIN_PATH else target


def page_location(request: Request) -> str:
    """The page the person was on: for an HTMX fragment that is the page that loaded it."""
    if request.headers.get("hx-request"):
        current = urlsplit(request.headers.get("hx-current-url", ""))
        path = current.path + (f"?{current.query}" if current.query else "")
        return safe_next(path)
    if request.method != "GET":
        return "/"
    query = request.url.query
    return safe_next(request.url.path + (f"?{query}" if query else ""))


def sign_in_redirect(request: Request) -> Response:
    """Off to the sign-in page and back here afterwards; say so when the session timed out.
    HTMX requests get `HX-Redirect` so the whole page moves, not the fragment."""
    check: SessionCheck | None = getattr(request.state, "web_session", None)
    query = {"next": page_location(request)}
    if check is not None and check.expired:
        query["expired"] = "1"
    url = f"{LOGIN_PATH}?{urlencode(query)}"
    response: Response
    if request.headers.get("hx-request"):
        response = Response(status_code=401, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    if check is not None:
        # The cookie no longer opens anything; drop it so the browser stops sending it.
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response
