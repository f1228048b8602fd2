"""Files to download: the same response for the pages and the API."""

from __future__ import annotations

from flask import Response


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
