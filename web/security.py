"""Security headers on every response (Flask-Talisman), and no caching of what we serve.

- ``Content-Security-Policy``: our own scripts, styles and images only, no inline script, and
  ``frame-ancestors 'none'`` (with ``X-Frame-Options: DENY`` for older browsers), so no other
  site can frame a coordinator's Approve button.
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` (links out carry no path,
  which can name a need), a ``Permissions-Policy`` that turns off what we never use.
- ``Strict-Transport-Security`` on HTTPS requests when secure cookies are configured
  (``MUTUALAID_SECURE_COOKIES=1``). HTTPS itself is the proxy's job: no redirects here.
- ``Cache-Control: no-store`` on every page and API answer: most carry personal data, and a
  shared or back-button cache must not keep them. Only the static files may be cached.
- Pages with a map (:func:`allows_map_tiles`) may also load images from OpenStreetMap's tile
  server; the tiles are asked for with the site's origin only, never a page's path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, request
from flask_talisman import Talisman

F = TypeVar("F", bound=Callable[..., Any])

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
#: Map tiles: OpenStreetMap's, loaded by the visitor's browser on the pages with a map.
MAP_TILE_HOST = "https://tile.openstreetmap.org"
MAP_TILES = MAP_TILE_HOST + "/{z}/{x}/{y}.png"
PERMISSIONS_POLICY = {
    "browsing-topics": "()",
    "camera": "()",
    "microphone": "()",
    "geolocation": "()",
    "payment": "()",
}


def allows_map_tiles(view: F) -> F:
    """Let this view's page load images from the map tile server too (no other page may)."""
    policy = {**CONTENT_SECURITY_POLICY, "img-src": f"'self' data: {MAP_TILE_HOST}"}
    view.talisman_view_options = {"content_security_policy": policy}  # type: ignore[attr-defined]
    return view


def init_app(app: Flask) -> None:
    secure = bool(app.config.get("SESSION_COOKIE_SECURE"))
    # One Talisman per app: it keeps its options on the instance, not in the app.
    Talisman(
        app,
        force_https=False,
        strict_transport_security=secure,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="same-origin",
        permissions_policy=PERMISSIONS_POLICY,
        session_cookie_secure=secure,
        session_cookie_http_only=True,
        session_cookie_samesite=app.config.get("SESSION_COOKIE_SAMESITE", "Lax"),
    )

    @app.after_request
    def _no_store(response: Response) -> Response:
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response
