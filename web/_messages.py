"""Marshmallow's error messages in the one shape of ``errors``: ``{"dotted.field.path": [...]}``.

Used for API responses (:mod:`web.errors`), the page forms (:mod:`web.pages.forms`) and the page
helpers alike, so a field's messages carry the same name wherever they are shown.
"""

from __future__ import annotations

from typing import Any


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Nested messages as one flat mapping: ``{"when.weekly.0.end": ["..."]}``.

    A schema-level message (``_schema``) belongs to the field holding that schema, or to
    ``_schema`` at the top. A mapping that is already flat comes back unchanged.
    """
    if isinstance(messages, dict):
        out: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            for path, found in flatten_messages(value, name).items():
                out.setdefault(path, []).extend(found)
        return out
    if isinstance(messages, (list, tuple)):
        texts: list[str] = []
        nested: dict[str, list[str]] = {}
        for item in messages:
            if isinstance(item, (dict, list, tuple)):
                for path, more in flatten_messages(item, prefix).items():
                    nested.setdefault(path, []).extend(more)
            else:
                texts.append(str(item))
        if texts:
            nested.setdefault(prefix or "_schema", []).extend(texts)
        return nested
    return {prefix or "_schema": [str(messages)]}
