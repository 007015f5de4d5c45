"""The JSON contracts ``zhenggai.parse/1`` and ``zhenggai.lint/1`` (docs: interfaces.md).

Fields are only ever added, never renamed. Money is a string of exact yuan;
dates are ISO strings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from typing import Any

from . import model
from .lint import LintFinding
from .model import DateMention, Diagnostic, Finding, Measure, ParseResult, Source


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _date(d: DateMention) -> dict[str, Any]:
    out: dict[str, Any] = {
        "text": d.text,
        "value": _iso(d.value),
        "precision": d.precision,
        "malformed": d.malformed,
        "span": list(d.span),
    }
    if d.end and d.end != d.value:
        out["end"] = _iso(d.end)
    if d.qualifier:
        out["qualifier"] = d.qualifier
    if d.year_inferred:
        out["year_inferred"] = True
    return out


def _yuan(v: Decimal) -> str:
    return str(v.quantize(Decimal("0.01")))


def _measure(m: Measure) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ordinal": m.ordinal,
        "text": m.text,
        "span": list(m.span),
        "dates": [_date(d) for d in m.dates],
        "amounts": [{"text": a.text, "yuan": _yuan(a.yuan), "span": list(a.span)} for a in m.amounts],
        "documents": [
            {"title": d.title, "established": d.established, "span": list(d.span)} for d in m.documents
        ],
        "accountability": [
            {"action": a.action, "count": a.count, "span": list(a.span)} for a in m.accountability
        ],
        "status_hint": m.status_hint,
    }
    if m.responsible is not None:
        out["responsible"] = {
            "leader": m.responsible.leader,
            "department": m.responsible.department,
            "person": m.responsible.person,
            "cooperating": m.responsible.cooperating,
        }
    if m.deadline is not None:
        out["deadline"] = {"text": m.deadline.text, "value": _iso(m.deadline.value), "kind": m.deadline.kind}
    return out


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "kind": f.kind,
        "number": f.number,
        "title": f.title,
        "span": list(f.span),
        "children": [_finding(c) for c in f.children],
        "measures": [_measure(m) for m in f.measures],
        "description": f.description,
        "description_span": list(f.description_span) if f.description_span else None,
    }


def _diagnostic(d: Diagnostic) -> dict[str, Any]:
    return {"code": d.code, "severity": d.severity, "message": d.message, "span": list(d.span)}


def _source(s: Source) -> dict[str, Any]:
    return {"name": s.name, "sha256": s.sha256, "chars": s.chars}


def _stat(v: int | Decimal) -> int | float | str:
    if isinstance(v, Decimal):
        # Rates are numbers in the contract; money stays an exact string of yuan.
        return float(v) if v == v.quantize(Decimal("0.0001")) and abs(v) <= 100 else _yuan(v)
    return v


def parse_json(r: ParseResult) -> dict[str, Any]:
    """The ``zhenggai.parse/1`` object for a parse result."""
    stats: dict[str, Any] = {}
    for k, v in r.stats.items():
        stats[k] = _yuan(v) if k == "money_recovered" and isinstance(v, Decimal) else _stat(v)
    return {
        "schema": "zhenggai.parse/1",
        "source": _source(r.source),
        "doc_type": r.doc_type,
        "title": r.title,
        "inspection": {
            "inspecting_group": r.inspection.inspecting_group,
            "inspected_unit": r.inspection.inspected_unit,
            "period_start": _iso(r.inspection.period_start),
            "period_end": _iso(r.inspection.period_end),
            "feedback_date": _iso(r.inspection.feedback_date),
            "kind": r.inspection.kind,
        },
        "sections": [
            {"number": s.number, "title": s.title, "span": list(s.span), "kind": s.kind} for s in r.sections
        ],
        "findings": [_finding(f) for f in r.findings],
        "stats": stats,
        "counts": {
            "categories": r.counts.categories,
            "issues": r.counts.issues,
            "problems": r.counts.problems,
            "measures": r.counts.measures,
        },
        "feedback_channels": {
            "phone": r.feedback_channels.phone,
            "address": r.feedback_channels.address,
            "email": r.feedback_channels.email,
        },
        "signature": {"unit": r.signature, "date": _date(r.signed_date) if r.signed_date else None},
        "diagnostics": [_diagnostic(d) for d in r.diagnostics],
    }


def lint_json(source: Source, findings: list[LintFinding]) -> dict[str, Any]:
    """The ``zhenggai.lint/1`` object."""
    return {
        "schema": "zhenggai.lint/1",
        "source": _source(source),
        "findings": [
            {
                "code": f.code,
                "severity": f.severity,
                "message": f.message,
                "span": list(f.span),
                "excerpt": f.excerpt,
            }
            for f in findings
        ],
    }


# --------------------------------------------------------------------------- storage
#
# A lossless form of a ParseResult, to keep a parse between an import's preview and its
# confirmation (and to bring it back from the process that parsed it). Not a contract:
# ``parse_json`` above is the published one, and it leaves out what a reader can rebuild
# (the text, an ``end`` equal to ``value``). Only the model's own dataclasses come back.

STORE_SCHEMA = "zhenggai.parse-store/1"
_TYPES: dict[str, type] = {
    t.__name__: t
    for t in vars(model).values()
    if isinstance(t, type) and dataclasses.is_dataclass(t) and t.__module__ == model.__name__
}


def _encode(v: Any) -> Any:
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        out = {f.name: _encode(getattr(v, f.name)) for f in dataclasses.fields(v)}
        out["$t"] = type(v).__name__
        return out
    if isinstance(v, tuple | list):
        return [_encode(x) for x in v]
    if isinstance(v, dict):
        return {"$map": [[k, _encode(x)] for k, x in v.items()]}
    if isinstance(v, Decimal):
        return {"$dec": str(v)}
    if isinstance(v, dt.date):
        return {"$date": v.isoformat()}
    if v is None or isinstance(v, str | int | float | bool):
        return v
    raise TypeError(f"cannot store {type(v).__name__}")


def _decode(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_decode(x) for x in v)  # every sequence of the model is a tuple
    if isinstance(v, dict):
        if "$t" in v:
            cls = _TYPES[v["$t"]]
            return cls(**{k: _decode(x) for k, x in v.items() if k != "$t"})
        if "$map" in v:
            return {k: _decode(x) for k, x in v["$map"]}
        if "$dec" in v:
            return Decimal(v["$dec"])
        if "$date" in v:
            return dt.date.fromisoformat(v["$date"])
    return v


def dump_result(r: ParseResult) -> str:
    """The parse result as JSON text that :func:`load_result` turns back into an equal one."""
    return json.dumps({"schema": STORE_SCHEMA, "result": _encode(r)}, ensure_ascii=False)


def load_result(text: str | bytes) -> ParseResult:
    """Read back :func:`dump_result`; ValueError when it is not one."""
    try:
        obj = json.loads(text)
        if obj.get("schema") != STORE_SCHEMA:
            raise ValueError("not a stored parse result")
        result = _decode(obj["result"])
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValueError("not a stored parse result") from exc
    if not isinstance(result, ParseResult):
        raise ValueError("not a stored parse result")
    return result
