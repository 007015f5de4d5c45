"""The outline: numbered headings into a tree, the tree into sections and findings.

Levels are not fixed: a marker family (一、 / (一) / 1. / (1) / ① / 关于…问题 …)
takes the level where it first appears under its parent, and a marker of a
family already open closes everything below it. The kinds (category / issue /
problem) are then read off the shape of the findings tree: a leaf is a
problem, a node whose children are all problems is an issue, anything above is
a category.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from . import tables
from .enumerations import split_measures
from .markers import MEASURE_LABELS, Heading, Line, is_closing, iter_lines, match_heading, match_label
from .model import Diagnostic, DocType, FindingKind, SectionKind, Span


@dataclass(slots=True)
class RawMeasure:
    ordinal: int
    start: int
    end: int
    responsible: dict[str, str] = field(default_factory=dict)
    deadline_text: str | None = None


@dataclass(slots=True)
class Node:
    heading: Heading | None
    family: str
    start: int
    end: int
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    body: list[tuple[int, int]] = field(default_factory=list)
    measures: list[RawMeasure] = field(default_factory=list)
    kind: FindingKind | None = None
    title_override: str | None = None
    number_override: str | None = None

    @property
    def title(self) -> str:
        if self.title_override is not None:
            return self.title_override
        return self.heading.title if self.heading else ""

    @property
    def number(self) -> str | None:
        if self.number_override is not None:
            return self.number_override
        return self.heading.number if self.heading else None

    def walk(self) -> Iterator[Node]:
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass(slots=True)
class SectionOut:
    number: str | None
    title: str
    span: Span
    kind: SectionKind


@dataclass(slots=True)
class Outline:
    title: str | None
    title_span: Span | None
    doc_type: DocType
    opening: Span
    sections: list[SectionOut]
    findings: list[Node]
    closing: Span | None
    signature: tuple[str, Span] | None
    signed_date_span: Span | None
    measure_bodies: list[Span]  # every paragraph read as measure text, for the checks
    diagnostics: list[Diagnostic]


# --- document title and type ---------------------------------------------------------

_TITLE_TYPES: tuple[tuple[DocType, re.Pattern[str]], ...] = (
    ("plan", re.compile(r"整改(?:工作)?(?:实施)?方案|整改台账|整改(?:任务|责任|问题)清单|任务清单")),
    ("progress_notice", re.compile(r"整改.{0,12}(?:通报|报告|公告|公示|情况)|整改进展|整改情况")),
    ("feedback", re.compile(r"反馈意见|问题清单|反馈(?:的)?(?:情况|问题)|巡[察视]反馈")),
)


def _doc_type_from(title: str | None, norm: str) -> DocType:
    if title:
        for kind, rx in _TITLE_TYPES:
            if rx.search(title):
                return kind
    if re.search(r"(?:[\t]|^)(?:整改措施|整改任务)", norm[:20000], re.M):
        return "plan"
    if re.search(r"一是|整改情况|整改进展|已整改|整改到位", norm):
        return "progress_notice"
    if re.search(r"巡[察视]组.{0,40}反馈|反馈意见|存在(?:的)?(?:主要)?问题", norm):
        return "feedback"
    return "unknown"


_SIGN_DATE = re.compile(
    r"^(?:\d{4}|[一二三四五六七八九〇○零]{4})\s*年\s*[\d一二三四五六七八九十〇○零]{1,3}\s*月"
    r"\s*[\d一二三四五六七八九十〇○零]{1,3}\s*日$"
)
_UNIT_END = re.compile(
    r"(?:委员会|党组|党委|党支部|总支|支部|大队|支队|中队|局|院|办公室|中心|公司|政府|委|处|所|组|会|校|学|"
    r"馆|站|社|厅|署|室|部|镇|乡|街道|村|社区|集团|银行)$"
)


def _signature(lines: list[Line]) -> tuple[int, tuple[str, Span] | None, Span | None]:
    """The signature block at the end: (number of lines it takes, unit, date span)."""
    n = 0
    date_span = unit = None
    if lines and _SIGN_DATE.match(lines[-1].text.replace(" ", "")):
        date_span = (lines[-1].start, lines[-1].end)
        n = 1
    if len(lines) > n:
        cand = lines[-1 - n]
        t = cand.text
        # Above a date any short unpunctuated line is the signing unit; alone, it must
        # also end like the name of a unit.
        if (
            len(t) <= 40
            and (n == 1 or _UNIT_END.search(t))
            and not re.search(r"[,。;:!?]", t)
            and match_heading(cand) is None
            and not cand.is_table_row
        ):
            unit = (t, (cand.start, cand.end))
            n += 1
    return n, unit, date_span


# --- responsibility and labels inside a body -----------------------------------------------

_RESP = re.compile(
    r"[(]?\s*(?P<k>责任领导|牵头领导|分管领导|责任部门|责任单位|牵头部门|责任科室|责任人|具体责任人|"
    r"完成时限|整改时限|完成时间|整改期限|时间节点)\s*[:]\s*"
)
_RESP_KEY = {
    "责任领导": "leader",
    "牵头领导": "leader",
    "分管领导": "leader",
    "责任部门": "department",
    "责任单位": "department",
    "牵头部门": "department",
    "责任科室": "department",
    "责任人": "person",
    "具体责任人": "person",
    "完成时限": "deadline",
    "整改时限": "deadline",
    "完成时间": "deadline",
    "整改期限": "deadline",
    "时间节点": "deadline",
}


def _read_responsible(norm: str, a: int, b: int) -> tuple[int, dict[str, str]]:
    """Find responsibility fields in ``norm[a:b]``; return where they begin and the fields."""
    matches = list(_RESP.finditer(norm, a, b))
    if not matches:
        return b, {}
    fields: dict[str, str] = {}
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else b
        value = norm[m.end() : end].strip(" \u3000;,。)")
        if value:
            fields[_RESP_KEY[m.group("k")]] = value
    return matches[0].start(), fields


_DESCRIPTION_LABELS = (
    "问题表现",
    "问题描述",
    "问题内容",
    "具体表现",
    "存在问题",
    "存在的问题",
    "原因分析",
    "原因剖析",
    "整改目标",
    "整改标准",
    "整改要求",
    "典型案例",
    "例证",
)


# --- the builder -----------------------------------------------------------------------------


class _Builder:
    def __init__(self, text: str, norm: str) -> None:
        self.text = text
        self.norm = norm
        self.root = Node(None, "root", 0, len(text))
        self.diagnostics: list[Diagnostic] = []
        self.measure_bodies: list[Span] = []

    def build(self) -> Outline:
        lines = list(iter_lines(self.norm))
        title, title_span, i = self._title(lines)
        n_sig, signature, date_span = _signature(lines[i:])
        body_lines = lines[i : len(lines) - n_sig] if n_sig else lines[i:]
        doc_type = _doc_type_from(title, self.norm)
        opening_end, closing = self._walk(body_lines)
        opening_start = body_lines[0].start if body_lines else 0
        for node in self.root.walk():
            self._close(node)
        self._merge_numbered_measures(doc_type)
        sections, roots = self._sections()
        self._kinds(roots)
        if doc_type != "feedback":
            for r in roots:
                for node in r.walk():
                    self._measures(node)
        self._numbering_checks(roots)
        return Outline(
            title,
            title_span,
            doc_type,
            (opening_start, max(opening_start, opening_end)),
            sections,
            roots,
            closing,
            signature,
            date_span,
            self.measure_bodies,
            self.diagnostics,
        )

    # title: the first line(s), when short and not a heading or a sentence
    def _title(self, lines: list[Line]) -> tuple[str | None, Span | None, int]:
        if not lines:
            return None, None, 0
        first = lines[0]
        if (
            len(first.text) > 80
            or first.text.endswith(("。", ";"))
            or match_heading(first)
            or first.is_table_row
            or first.text.startswith(("根据", "按照"))
        ):
            return None, None, 0
        end, count = first.end, 1
        if len(lines) > 1:
            nxt = lines[1]
            if (
                len(nxt.text) <= 60
                and not nxt.is_table_row
                and match_heading(nxt) is None
                and (nxt.text.startswith("关于") or re.search(r"(?:委员会|党组|党委)$", first.text))
                and "。" not in nxt.text
            ):
                end, count = nxt.end, 2
        title = "".join(self.text[ln.start : ln.end] for ln in lines[:count])
        return title, (first.start, end), count

    def _walk(self, lines: list[Line]) -> tuple[int, Span | None]:
        stack: list[Node] = []
        opening_end = lines[0].start if lines else 0
        closing_start: int | None = None
        closing_end = 0
        in_closing = False
        k = 0
        while k < len(lines):
            line = lines[k]
            if in_closing:
                if line.is_table_row or match_heading(line) is None:
                    closing_end = line.end
                    k += 1
                    continue
                in_closing = False  # a heading after the closing: another part begins
            if line.is_table_row:
                j = k
                while j < len(lines) and lines[j].is_table_row:
                    j += 1
                self._table(lines[k:j], stack)
                k = j
                continue
            if stack and is_closing(line.text):
                closing_start, closing_end = line.start, line.end
                in_closing = True
                k += 1
                continue
            h = match_heading(line)
            if h is None:
                if stack:
                    stack[-1].body.append((line.start, line.end))
                else:
                    opening_end = line.end
                k += 1
                continue
            node = Node(h, h.family, line.start, line.end)
            self._place(node, stack)
            if h.rest_start is not None:
                node.body.append((h.rest_start, line.end))
            k += 1
        closing = None if closing_start is None else (closing_start, closing_end)
        return opening_end, closing

    def _place(self, node: Node, stack: list[Node]) -> None:
        for i in range(len(stack) - 1, -1, -1):
            if stack[i].family == node.family:
                del stack[i:]
                break
        parent = stack[-1] if stack else self.root
        node.parent = parent
        parent.children.append(node)
        stack.append(node)

    def _table(self, rows: list[Line], stack: list[Node]) -> None:
        cols = None
        header = 0
        for i, row in enumerate(rows[:3]):
            cols = tables.header_columns(row)
            if cols:
                header = i
                break
        parent = stack[-1] if stack else self.root
        if not cols:
            for row in rows:  # not a ledger: read its rows as text
                if stack:
                    parent.body.append((row.start, row.end))
            return
        cat_nodes: dict[tuple[str, Span], Node] = {}
        for tp in tables.read_table(rows[header + 1 :], cols):
            owner = parent
            if tp.category is not None:
                owner = cat_nodes.get(tp.category)  # type: ignore[assignment]
                if owner is None:
                    owner = Node(
                        None,
                        "table-category",
                        tp.category[1][0],
                        tp.category[1][1],
                        parent,
                        title_override=tp.category[0],
                    )
                    parent.children.append(owner)
                    cat_nodes[tp.category] = owner
            node = Node(
                None,
                "table-problem",
                tp.span[0],
                tp.span[1],
                owner,
                title_override=tp.title,
                number_override=tp.number,
            )
            owner.children.append(node)
            owner.end = max(owner.end, node.end)
            for tm in tp.measures:
                split = split_measures(self.norm, [(tm.cell.start, tm.cell.end)])
                self.diagnostics.extend(split.diagnostics)
                self.measure_bodies.append((tm.cell.start, tm.cell.end))
                for _, a, b in split.measures:
                    node.measures.append(
                        RawMeasure(len(node.measures) + 1, a, b, dict(tm.responsible), tm.deadline_text)
                    )

    def _close(self, node: Node) -> int:
        end = node.end
        for _, b in node.body:
            end = max(end, b)
        for c in node.children:
            end = max(end, self._close(c))
        node.end = end
        return end

    def _merge_numbered_measures(self, doc_type: DocType) -> None:
        """Numbered paragraphs that are sentences, not headings, are the measures of
        their parent (plans often write measures as 1. 2. 3.)."""
        if doc_type == "feedback":
            return
        for node in list(self.root.walk()):
            kids = [c for c in node.children if c.heading is not None]
            if not kids or node is self.root or len(kids) != len(node.children):
                continue
            if any(c.children or (c.body and c.heading and c.heading.rest_start is None) for c in kids):
                continue
            sentence_like = sum(
                1
                for c in kids
                if c.heading is not None  # always, by `kids`: narrows the type
                and (
                    len(self.norm[c.heading.title_start : c.end]) > 30
                    or re.search(r"[。;]", self.norm[c.heading.title_start : c.end])
                )
            )
            if sentence_like * 2 < len(kids) or node.body:
                continue
            node.children = []
            for c in kids:  # keep the markers: the enumeration split reads them
                node.body.append((c.start, c.end))
            node.title_override = None

    # sections and the roots of the findings tree
    def _sections(self) -> tuple[list[SectionOut], list[Node]]:
        top = self.root.children
        kinds = [_section_kind(n.title) for n in top]
        sections_mode = any(
            k in ("organisation", "long_term", "next_steps", "other", "container") for k in kinds
        )
        roots: list[Node] = []
        out: list[SectionOut] = []
        unknown = [n for n, k in zip(top, kinds, strict=True) if k == "unknown" and n.children]
        for n, k in zip(top, kinds, strict=True):
            kind: SectionKind
            if not sections_mode:
                roots.append(n)
                kind = "findings"
            elif k == "container" or (
                k == "unknown"
                and len(unknown) == 1
                and n.children
                and any(c.children or c.body for c in n.children)
            ):
                roots.extend(n.children)
                kind = "findings"
            elif k in ("category", "unknown") and (n.children or n.body):
                roots.append(n)
                kind = "findings"
            else:
                kind = k if k == "organisation" or k == "long_term" or k == "next_steps" else "other"
            out.append(SectionOut(n.number, n.title, (n.start, n.end), kind))
        return out, roots

    def _kinds(self, roots: list[Node]) -> None:
        def visit(node: Node, is_root: bool) -> None:
            for c in node.children:
                visit(c, False)
            if not node.children:
                node.kind = "problem"
            elif is_root:
                node.kind = "category"
            elif all(not c.children for c in node.children):
                node.kind = "issue"
            else:
                node.kind = "category"

        for r in roots:
            visit(r, True)

    def _measures(self, node: Node) -> None:
        if not node.body or node.measures:
            return
        segments: list[tuple[int, int]] = []
        fields: dict[str, str] = {}
        for a, b in node.body:
            s = self.norm[a:b]
            lab = match_label(s)
            if lab:
                name = lab.group("label")
                if name not in MEASURE_LABELS or name in _DESCRIPTION_LABELS:
                    continue
                a = a + lab.end()
            cut, found = _read_responsible(self.norm, a, b)
            fields.update({k: v for k, v in found.items() if k not in fields})
            while cut > a and self.norm[cut - 1] in " \u3000(":
                cut -= 1
            if cut > a:
                segments.append((a, cut))
        if not segments:
            return
        self.measure_bodies.extend(segments)
        split = split_measures(self.norm, segments)
        self.diagnostics.extend(split.diagnostics)
        deadline = fields.pop("deadline", None)
        for ordinal, a, b in split.measures:
            node.measures.append(RawMeasure(ordinal, a, b, dict(fields), deadline))

    def _numbering_checks(self, roots: list[Node]) -> None:
        by_level: dict[tuple[int, str], list[Node]] = defaultdict(list)
        last_value: dict[tuple[int, str], int] = {}

        def visit(node: Node, depth: int) -> None:
            prev: Node | None = None
            for c in node.children:
                h = c.heading
                if h is not None and h.value is not None:
                    key = (depth, c.family)
                    by_level[key].append(c)
                    expected = {1, last_value.get(key, 0) + 1}
                    if (
                        prev is not None
                        and prev.family == c.family
                        and prev.heading
                        and prev.heading.value is not None
                    ):
                        expected = {prev.heading.value + 1}
                    if h.value not in expected:
                        want = "、".join(str(v) for v in sorted(expected))
                        self.diagnostics.append(
                            Diagnostic(
                                "numbering-sequence",
                                "warning",
                                f"编号不连续：此处编号为“{h.number}”，按顺序应为 {want}",
                                (c.start, h.title_start),
                            )
                        )
                    last_value[key] = h.value
                    prev = c
                visit(c, depth + 1)

        for r in [self.root]:
            visit(r, 0)
        for nodes in by_level.values():
            styles = Counter(n.heading.style for n in nodes if n.heading)
            if len(styles) < 2:
                continue
            major, _ = styles.most_common(1)[0]
            for n in nodes:
                if n.heading and n.heading.style != major:
                    self.diagnostics.append(
                        Diagnostic(
                            "numbering-inconsistent",
                            "warning",
                            f"编号格式不一致：同级编号多写作“{_style_example(major, n)}”，"
                            f"此处写作“{self.text[n.start : n.heading.title_start].strip()}”",
                            (n.start, n.heading.title_start),
                        )
                    )


def _style_example(style: str, node: Node) -> str:
    num = node.heading.number if node.heading else "1"
    return {
        "1.": f"{num}.",
        "1、": f"{num}、",
        "(1)": f"({num})",
        "1)": f"{num})",
        "一、": f"{num}、",
        "(一)": f"({num})",
    }.get(style, style)


# What a top-level title says the section is; ``container`` and ``category`` hold findings.
_TitleKind = Literal["category", "next_steps", "long_term", "container", "organisation", "other", "unknown"]
_KIND_WORDS: tuple[tuple[_TitleKind, re.Pattern[str]], ...] = (
    ("category", re.compile(r"方面")),
    ("next_steps", re.compile(r"下一步|下步|今后|工作打算|工作计划|努力方向")),
    ("long_term", re.compile(r"长效|巩固.{0,4}成果|常态化|建章立制")),
    (
        "container",
        re.compile(
            r"问题导向|逐项|整改落实情况|整改进展|问题整改|反馈问题|具体问题|整改任务|任务清单|问题清单|"
            r"整改事项|整改内容|整改完成情况|具体整改|落实情况|存在(?:的)?(?:主要)?问题|主要问题|整改成效|"
            r"取得的?成效|整改情况"
        ),
    ),
    (
        "organisation",
        re.compile(
            r"组织领导|加强领导|高度重视|政治站位|压实.{0,4}责任|主体责任|工作开展|总体情况|基本情况|"
            r"主要做法|整改方案|工作机制|组织保障|统筹部署|迅速行动|强化担当"
        ),
    ),
    (
        "other",
        re.compile(
            r"指导思想|总体要求|工作目标|基本原则|工作要求|方法步骤|时间安排|保障措施|"
            r"意见建议|整改要求|有关要求"
        ),
    ),
)


def _section_kind(title: str) -> _TitleKind:
    for kind, rx in _KIND_WORDS:
        if rx.search(title):
            return kind
    return "unknown"


def build_outline(text: str, norm: str) -> Outline:
    """Read the outline of ``text`` (``norm`` is its width-folded copy, same offsets)."""
    return _Builder(text, norm).build()
