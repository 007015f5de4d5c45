"""Checks of the document itself, each with a stable code and a message a clerk reads.

The parser's own diagnostics (numbering, lost ordinals, unreadable dates, and for
plans: no measures read, responsibility attached to no measure, levels that look
shifted) come first; the checks here add what needs the whole result: brackets and quotes,
cut-off sentences, measures dated before the inspection, vague measures,
deadlines already passed, and a notice without signature or date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .enumerations import ends_dangling
from .model import Diagnostic, Finding, Measure, ParseResult, Severity, Span
from .numerals import fold_width

#: Every code lint can report (stable; add, never rename).
CODES = (
    "numbering-inconsistent",
    "numbering-sequence",
    "ordinal-missing",
    "ordinal-run-on",
    "sentence-truncated",
    "date-malformed",
    "inspection-date-malformed",
    "bracket-unbalanced",
    "measure-predates-inspection",
    "measure-vague",
    "deadline-passed",
    "signature-missing",
    "plan-no-measures",
    "responsibility-unattached",
    "levels-shifted",
    "table-unrecognised",
)


@dataclass(frozen=True, slots=True)
class LintFinding:
    code: str
    severity: Severity
    message: str
    span: Span
    excerpt: str


def excerpt(text: str, span: Span, around: int = 12) -> str:
    """The flagged text with a little context, on one line."""
    a, b = span
    s = text[max(0, a - around) : min(len(text), b + around)]
    return s.replace("\n", " ").replace("\t", " ").strip()


_PAIRS = {"》": "《", "”": "“", ")": "(", "】": "【", "」": "「", "』": "『"}
_OPEN = {v: k for k, v in _PAIRS.items()}
_NAMES = {"《": "书名号", "“": "引号", "(": "括号", "【": "方括号", "「": "引号", "『": "引号"}


_NUMERAL = set("0123456789一二三四五六七八九十abcdefghijklmnopqrstuvwxyz")


def _is_list_marker(para: str, i: int) -> bool:
    """``1)`` / ``a)`` at a line start or after a break is a numbering mark, not a bracket."""
    j = i
    while j > 0 and para[j - 1] in _NUMERAL and i - j < 3:
        j -= 1
    if j == i:
        return False
    return j == 0 or para[j - 1] in " \t;:,。、" or para[:j].isspace()


def _brackets(text: str, norm: str) -> Iterator[Diagnostic]:
    """Unbalanced brackets and quotes, paragraph by paragraph (linear, no regex)."""
    start = 0
    for para in norm.split("\n"):
        stack: list[tuple[str, int]] = []
        for i, ch in enumerate(para):
            if ch in _OPEN:
                stack.append((ch, start + i))
            elif ch in _PAIRS:
                if ch == ")" and _is_list_marker(para, i):
                    continue
                if stack and stack[-1][0] == _PAIRS[ch]:
                    stack.pop()
                elif any(o == _PAIRS[ch] for o, _ in stack):
                    while stack and stack[-1][0] != _PAIRS[ch]:
                        stack.pop()
                    stack.pop()
                else:
                    yield Diagnostic(
                        "bracket-unbalanced",
                        "warning",
                        f"{_NAMES[_PAIRS[ch]]}不配对：“{text[start + i]}”前面没有对应的“{_PAIRS[ch]}”",
                        (start + i, start + i + 1),
                    )
        for o, pos in stack:
            yield Diagnostic(
                "bracket-unbalanced",
                "warning",
                f"{_NAMES[o]}不配对：“{text[pos]}”在本段内没有对应的“{_OPEN[o]}”",
                (pos, pos + 1),
            )
        start += len(para) + 1


def _measures(findings: tuple[Finding, ...]) -> Iterator[Measure]:
    for f in findings:
        yield from f.measures
        yield from _measures(f.children)


_CONCRETE = re.compile(
    r"制定|修订|建立|出台|印发|召开|开展|组织|下发|完成|退回|上交|清退|追缴|培训|检查|核查|约谈|谈话|设立|成立|"
    r"整治|查处|拆除|安装|加装|设置|发放|调整|处分|处理|通报|公示|公开|审核|核实|排查|梳理|纳入|落实了|"
    r"签订|补充|更换|改造|配备|撤销|取消|返还|拨付|移送|移交|上报|报送|登记|记录|整改完毕|整改到位"
)
_VAGUE = re.compile(r"进一步|加强|提高|强化|增强|深化|切实|不断|认识|重视|意识|持续")
_VERIFY_BEFORE = re.compile(r"(?:经核实|核实|经查|查阅|得知|经调查|通报了)[^;。]{0,30}$")


def _predates(r: ParseResult) -> Iterator[Diagnostic]:
    start = r.inspection.period_start or r.inspection.feedback_date
    if start is None:
        return
    what = "巡察开始" if r.inspection.period_start else "巡察反馈"
    for m in _measures(r.findings):
        for d in m.dates:
            if d.value is None or d.precision == "year" or d.qualifier in ("since", "range"):
                continue
            before = d.value < start or (d.qualifier == "before" and d.value <= start)
            lead = fold_width(r.text[m.span[0] : d.span[0]])
            if before and not _VERIFY_BEFORE.search(lead):
                yield Diagnostic(
                    "measure-predates-inspection",
                    "info",
                    f"措施所写日期“{d.text}”早于{what}（{start.isoformat()}），"
                    f"请核对这项工作是否属于本轮巡察整改",
                    d.span,
                )
            break  # only the measure's lead date says when it was done


def _vague(r: ParseResult) -> Iterator[Diagnostic]:
    for m in _measures(r.findings):
        t = fold_width(m.text)
        if m.dates or m.amounts or m.documents or re.search(r"\d", t):
            continue
        if _VAGUE.search(t) and not _CONCRETE.search(t):
            yield Diagnostic(
                "measure-vague",
                "info",
                "措施较空泛：没有时间、数量、制度文件或具体行动（只写了“进一步加强”“提高认识”之类），"
                "建议写明做了什么、何时完成",
                m.span,
            )


_DEADLINE_CUE = re.compile(r"(?:在|于|要求|计划|力争|确保|预计)[^,;。]{0,10}$")


def _deadline_passed(r: ParseResult) -> Iterator[Diagnostic]:
    doc_date: dt.date | None = r.signed_date.value if r.signed_date else None
    if doc_date is None:
        return
    for m in _measures(r.findings):
        if m.status_hint == "done":
            continue
        if m.deadline is not None and m.deadline.value is not None and m.deadline.value < doc_date:
            yield Diagnostic(
                "deadline-passed",
                "warning",
                f"完成时限“{m.deadline.text}”已过（通报日期 {doc_date.isoformat()}），但未写明已完成",
                m.span,
            )
            continue
        for d in m.dates:
            lead = fold_width(r.text[m.span[0] : d.span[0]])
            if d.value is None or d.qualifier not in ("before", "end") or not _DEADLINE_CUE.search(lead):
                continue
            last = d.end or d.value
            if last < doc_date:
                yield Diagnostic(
                    "deadline-passed",
                    "warning",
                    f"所定时限“{d.text}”在通报日期（{doc_date.isoformat()}）前已到，但措施仍未写明完成",
                    d.span,
                )


def _truncated_paragraphs(r: ParseResult, norm: str) -> Iterator[Diagnostic]:
    for m in _measures(r.findings):
        a, b = m.span
        pos = a
        for part in norm[a:b].split("\n"):
            end = pos + len(part)
            at_paragraph_end = end >= len(norm) or norm[end] == "\n"
            if at_paragraph_end and ends_dangling(part):
                yield Diagnostic(
                    "sentence-truncated",
                    "warning",
                    f"句子不完整：段落在“{r.text[max(pos, end - 8) : end]}”处中断，后文可能缺失",
                    (max(pos, end - 8), end),
                )
            pos = end + 1


def _signature(r: ParseResult) -> Iterator[Diagnostic]:
    if r.doc_type != "progress_notice":
        return
    end = len(r.text.rstrip())
    span = (max(0, end - 1), end)
    if r.signature is None and r.signed_date is None:
        yield Diagnostic("signature-missing", "warning", "通报末尾缺少落款单位和成文日期", span)
    elif r.signed_date is None:
        yield Diagnostic("signature-missing", "warning", "通报末尾缺少成文日期", span)
    elif r.signature is None:
        yield Diagnostic("signature-missing", "warning", "通报末尾缺少落款单位", span)


def lint(r: ParseResult) -> list[LintFinding]:
    """All checks of a parsed document, in the order they occur in the text."""
    norm = fold_width(r.text)
    diags: list[Diagnostic] = list(r.diagnostics)
    diags.extend(_brackets(r.text, norm))
    diags.extend(_truncated_paragraphs(r, norm))
    diags.extend(_predates(r))
    diags.extend(_vague(r))
    diags.extend(_deadline_passed(r))
    diags.extend(_signature(r))
    seen: set[tuple[str, Span]] = set()
    out = []
    for d in sorted(diags, key=lambda d: (d.span[0], d.code)):
        if (d.code, d.span) in seen:
            continue
        seen.add((d.code, d.span))
        out.append(LintFinding(d.code, d.severity, d.message, d.span, excerpt(r.text, d.span)))
    return out
