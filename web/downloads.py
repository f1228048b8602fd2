"""Files to download and to upload: the same handling for the pages and the API."""

from __future__ import annotations

from flask import Response, request
from flask.sansio.app import App


def csv_response(text: str, filename: str) -> Response:
    """A CSV attachment that no cache keeps (it may hold personal details)."""
    return Response(
        text,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


#: The endpoints that take a file larger than the app's ``MAX_CONTENT_LENGTH``, and their limit.
LARGE_UPLOADS: dict[str, int] = {}


def _allow_large_upload() -> None:
    limit = LARGE_UPLOADS.get(request.endpoint or "")
    if limit:
        request.max_content_length = limit


def init_large_uploads(app: App) -> None:
    """Let :data:`LARGE_UPLOADS` take their files: before anything (CSRF's check among them)
    reads the body."""
    funcs = app.before_request_funcs.setdefault(None, [])
    if _allow_large_upload not in funcs:
        funcs.insert(0, _allow_large_upload)
