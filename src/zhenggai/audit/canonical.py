"""Canonical JSON: the exact bytes the audit chain's MAC is computed over.

Rules (trust-and-format.md §3.3 point 5): keys sorted, separators ``(",", ":")``, UTF-8 with
``ensure_ascii=False``, every string NFC-normalised, timestamps as UTC ISO-8601 with
microseconds (``2026-03-01T02:03:04.000005Z``), a schema version in the record, and no floats
(they do not round-trip through every database the same way). ``clean()`` turns what callers
pass as before/after into values that survive a JSON column unchanged, so the record read back
from the database serialises to the same bytes as the one written.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import unicodedata
import uuid
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.db import models


class NotCanonical(TypeError):
    """A value the canonical form does not allow (a float, a non-string key, an object)."""


def clean_str(s: str) -> str:
    """NFC, and no NUL or lone surrogate (PostgreSQL's jsonb and UTF-8 refuse both)."""
    if "\x00" in s:
        s = s.replace("\x00", "\ufffd")
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        s = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in s)
    return unicodedata.normalize("NFC", s)


def utc_iso(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise NotCanonical("审计时间必须带时区")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def clean(value: Any) -> Any:
    """Any before/after value → plain JSON (str, int, bool, None, list, dict with str keys)."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return clean_str(value)
    if isinstance(value, dict):
        return {clean_str(str(k)): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((clean(v) for v in value), key=lambda v: json.dumps(v, ensure_ascii=False))
    if isinstance(value, dt.datetime):
        return utc_iso(value) if value.tzinfo else clean_str(value.isoformat())
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        # Never a float in the record: keep the decimal text (repr round-trips exactly).
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, models.Model):
        return value.pk if isinstance(value.pk, int) else clean_str(str(value.pk))
    if isinstance(value, uuid.UUID | PurePath):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return clean_str(str(value))


def _check(value: Any, path: str = "$") -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, float):
        raise NotCanonical(f"{path}: 规范化记录中不允许浮点数")
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise NotCanonical(f"{path}: 键必须是字符串")
            out[unicodedata.normalize("NFC", k)] = _check(v, f"{path}.{k}")
        return out
    if isinstance(value, list | tuple):
        return [_check(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise NotCanonical(f"{path}: 不支持的类型 {type(value).__name__}")


def canonical_json(value: Any) -> bytes:
    """The canonical bytes of a JSON value (raises ``NotCanonical`` on floats and objects)."""
    return json.dumps(
        _check(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")
