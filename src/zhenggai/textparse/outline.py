"""The outline: numbered headings into a tree, the tree into sections and findings.

Levels are not fixed: a marker family (一、 / (一) / 1. / (1) / ① / 关于…问题 …)
takes the level where it first appears under its parent, and a marker of a
family already open closes everything below it. The kinds (category / issue /
problem) are then read off the shape of the findings tree: a leaf is a
problem, a node whose children are all problems is an issue, anything above is
a category.

Measures are not headings: after a 整改措施 label the numbered lines are the measures
of the node above (unless a label of their own follows, or their number continues an
open heading's), and numbered sentences each followed by its responsibility are too.
``measures`` reads them with their responsibility; the checks here report a plan without
measures, responsibility that reached none, and levels that look shifted.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from . import responsibility, tables
from .enumerations import split_measures
from .markers import Heading, Line, is_closing, iter_lines, match_heading
from .measures import RawMeasure, label_kind, read_body
from .model import Diagnostic, DocType, FindingKind, SectionKind, Span
from .responsibility import Resp, is_resp_line


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
    line_end: int = 0  # end of the heading's own line
    # Where the node's measures begin (a 整改措施 label, or its first measure line): the
    # text above is the problem's statement, not a measure.
    measure_from: int | None = None
    # Body lines that each start a measure (line start -> where its text starts).
    marks: dict[int, int] = field(default_factory=dict)
    # The sentences that state the node's facts (see ``_describe``).
    description: Span | None = None

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
    (
        "plan",
        re.compile(
            r"整改(?:落实)?(?:工作)?(?:实施)?方案|整改台账|整改(?:任务|责任|问题)清单|任务清单|整改(?:落实)?措施$"
        ),
    ),
    ("progress_notice", re.compile(r"整改.{0,12}(?:通报|报告|公告|公示|情况)|整改进展|整改情况")),
    (
        "feedback",
        re.compile(
            r"反馈意见|问题清单|反馈(?:的)?(?:情况|问题)|巡[察视](?:工作)?(?:情况|意见)?反馈|"
            r"反馈巡[察视](?:情况|意见)"
        ),
    ),
)


def _doc_type_from(title: str | None, norm: str) -> DocType:
    if title:
        for kind, rx in _TITLE_TYPES:
            if rx.search(title):
                return kind
    if re.search(r"(?:[\t]|^)(?:整改措施|整改任务)", norm[:20000], re.M):
        return "plan"
    if re.search(r"整改情况|整改进展|已整改|整改到位", norm):
        return "progress_notice"
    if re.search(r"巡[察视]组.{0,40}反馈|反馈意见|存在(?:的)?(?:主要)?问题", norm):
        return "feedback"
    if "一是" in norm:
        return "progress_notice"
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


# --- labels inside a body -------------------------------------------------------------------

# How a problem's statement ends (…不到位。 / …流于形式的问题), unlike a measure's.
_FAULT = re.compile(
    r"(?:不到位|不规范|不严格|不严|不够|不足|不力|不实|不深入|不及时|不全面|不健全|不完善|不彻底|缺失|薄弱|"
    r"滞后|松散|流于形式|偏松偏软|问题)[的]?(?:问题)?[\s。;,]*$"
)
_OWN_ENUMERATION = re.compile(r"(?:[一二三四五六七八九十]是|第一\s*[,、:]|首先)")


def _assigns_responsibility(lines: list[Line]) -> bool:
    """Two or more lines that start with a responsibility field (责任领导：…)."""
    n = 0
    for ln in lines:
        if not ln.is_table_row and is_resp_line(ln.text):
            n += 1
            if n >= 2:
                return True
    return False


# --- the builder -----------------------------------------------------------------------------


class _Builder:
    def __init__(self, text: str, norm: str) -> None:
        self.text = text
        self.norm = norm
        self.root = Node(None, "root", 0, len(text))
        self.diagnostics: list[Diagnostic] = []
        self.measure_bodies: list[Span] = []
        self.reads_measures = True
        self.attached: set[int] = set()  # where the responsibility fields given to measures stand
        self.headings: dict[int, Heading | None] = {}  # match_heading by line start, while walking
        self.loose: list[Span] = []  # lines before the first heading (a news text is all loose)

    def build(self) -> Outline:
        lines = list(iter_lines(self.norm))
        title, title_span, i = self._title(lines)
        n_sig, signature, date_span = _signature(lines[i:])
        body_lines = lines[i : len(lines) - n_sig] if n_sig else lines[i:]
        # The type is read off the folded title (full-width and traditional forms folded).
        doc_type = _doc_type_from(self.norm[title_span[0] : title_span[1]] if title_span else None, self.norm)
        if doc_type in ("feedback", "unknown") and _assigns_responsibility(body_lines):
            # A letter that names the feedback in its title but gives each measure a
            # leader, a department and a deadline is the unit's plan.
            doc_type = "plan"
        self.reads_measures = doc_type != "feedback"
        opening_end, closing = self._walk(body_lines)
        tabled = any(n.family == "table-problem" and n.measures for n in self.root.walk())
        if doc_type == "unknown" and tabled:
            doc_type = "plan"  # a table whose columns name its measures (具体措施, 工作措施) is a plan
        opening_start = body_lines[0].start if body_lines else 0
        for node in self.root.walk():
            self._close(node)
        self._merge_numbered_measures(doc_type)
        if doc_type == "feedback":
            self._split_top_runons()
        sections, roots = self._sections(doc_type)
        if doc_type == "feedback" and not roots:
            roots = self._loose_runons(closing)
        self._kinds(roots)
        if self.reads_measures:
            for r in roots:
                self._assign(r, {})
        for r in roots:
            for node in r.walk():
                self._describe(node, doc_type)
        self._numbering_checks(roots)
        self._plan_checks(doc_type, roots, body_lines, title_span)
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
        # After a 整改措施 label the numbered lines are that node's measures, not headings
        # (``owner``); ``expect`` is the next measure number in each marker family.
        owner: Node | None = None
        expect: dict[str, int] = {}
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
                owner = None
                j = k
                while j < len(lines) and lines[j].is_table_row:
                    j += 1
                self._table(lines[k:j], stack)
                k = j
                continue
            if stack and is_closing(line.text):
                owner = None
                closing_start, closing_end = line.start, line.end
                in_closing = True
                k += 1
                continue
            h = self.headings.pop(line.start) if line.start in self.headings else match_heading(line)
            if h is None:
                if stack:
                    stack[-1].body.append((line.start, line.end))
                    label = label_kind(line.text)
                    if label == "measure" and self.reads_measures:
                        owner, expect = stack[-1], {}
                        if owner.measure_from is None:
                            owner.measure_from = line.start
                    elif label == "other":
                        owner = None
                else:
                    opening_end = line.end
                    self.loose.append((line.start, line.end))
                k += 1
                continue
            if owner is not None and self._is_measure_line(h, lines, k, stack, expect):
                owner.body.append((line.start, line.end))
                owner.marks[line.start] = h.title_start
                expect[h.family] = (h.value or 0) + 1
                k += 1
                continue
            owner = None
            node = Node(h, h.family, line.start, line.end, line_end=line.end)
            self._place(node, stack)
            if h.rest_start is not None:
                node.body.append((h.rest_start, line.end))
                if self.reads_measures and label_kind(self.norm[h.rest_start : line.end]) == "measure":
                    owner, expect = node, {}
                    node.measure_from = h.rest_start
            k += 1
        closing = None if closing_start is None else (closing_start, closing_end)
        return opening_end, closing

    def _heading(self, line: Line) -> Heading | None:
        """``match_heading`` once per line (the measure lookahead reads lines twice)."""
        if line.start not in self.headings:
            self.headings[line.start] = match_heading(line)
        return self.headings[line.start]

    def _is_measure_line(
        self, h: Heading, lines: list[Line], k: int, stack: list[Node], expect: dict[str, int]
    ) -> bool:
        """Whether the heading of ``lines[k]``, met after a 整改措施 label, is a measure."""
        if h.family in ("guanyu", "zhendui", "fb") or self.norm.startswith(("针对", "关于"), h.title_start):
            return False
        line = lines[k]
        # A heading with a label of its own below it is the next problem.
        if h.rest_start is not None and label_kind(self.norm[h.rest_start : line.end]) == "measure":
            return False
        nxt = None
        for j in range(k + 1, min(len(lines), k + 9)):
            ln = lines[j]
            if ln.is_table_row or self._heading(ln) is not None:
                break
            if is_resp_line(ln.text):
                continue
            kind = label_kind(ln.text)
            if kind == "measure":
                return False
            if kind == "other":
                break
            if nxt is None:
                nxt = ln
        # A short title followed by its own enumeration (一是…) heads a part of its own.
        if (
            nxt is not None
            and nxt.start == lines[k + 1].start
            and _OWN_ENUMERATION.match(nxt.text)
            and h.rest_start is None
            and len(h.title) <= 30
            and not re.search(r"[。;,]$", self.norm[h.title_start : line.end])
        ):
            return False
        if h.family in {n.family for n in stack}:
            # The family of an open heading: a measure only where the measures' own
            # numbering goes on (1. under 1. starts again at 1).
            return h.value is not None and h.value == expect.get(h.family, 1)
        return True

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
        """Read a run of table rows: a plan's problems with their measures when a header
        names its columns (``tables``), else the rows as text of the open node, with a
        warning when the table should have been a plan."""
        parent = stack[-1] if stack else self.root
        reading = tables.read_tables(rows, self.norm)
        for block in reading.unread:
            if (warning := tables.unrecognised(self.norm, block)) is not None:
                self.diagnostics.append(warning)
        if reading.header is None:
            for row in rows:  # not a ledger: read its rows as text
                if stack:
                    parent.body.append((row.start, row.end))
            return
        cat_nodes: dict[tuple[str, Span], Node] = {}
        for tp in reading.problems:
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
            if self._merge_planned_measures(node, kids):
                continue
            if any(
                c.children
                or c.measure_from is not None  # a problem with its own 整改措施
                or (c.body and c.heading and c.heading.rest_start is None)
                for c in kids
            ):
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

    def _merge_planned_measures(self, node: Node, kids: list[Node]) -> bool:
        """Numbered sentences each followed by its responsibility (责任领导：…) are the
        measures of their parent, even below a statement of the problem."""
        if any(c.children for c in kids) or all(self.norm.find(":", c.start, c.end) < 0 for c in kids):
            return False
        with_resp = 0
        sentences = 0
        faults = 0
        for c in kids:
            own = [(a, b) for a, b in c.body if a >= c.line_end]
            if not all(is_resp_line(self.norm[a:b]) for a, b in own):
                return False
            if own or responsibility.resp_matches(self.norm, c.start, c.line_end):
                with_resp += 1
            if re.search(r"[。;]", self.norm[c.start : c.line_end]) or c.line_end - c.start > 30:
                sentences += 1
            if _FAULT.search(self.norm, c.start, c.line_end):
                faults += 1
        # A list of problems each with its owner (a 问题清单) is not a list of measures.
        if not with_resp or sentences * 2 < len(kids) or faults * 2 > len(kids):
            return False
        node.children = []
        if node.body and node.measure_from is None:
            node.measure_from = kids[0].start
        for c in kids:
            assert c.heading is not None  # noqa: S101  for the type checker: `kids` have headings
            node.body.append((c.start, c.line_end))
            node.marks[c.start] = c.heading.title_start
            node.body.extend((a, b) for a, b in c.body if a >= c.line_end)
        node.title_override = None
        return True

    # problems written as one run-on sentence (the news of a feedback meeting)
    def _split_top_runons(self) -> None:
        """A top-level part of a letter without sub-headings whose body lists its problems in
        one sentence (主要是：…；…) holds them as problems."""
        for n in self.root.children:
            if n.children or not n.body or _section_kind(n.title) not in ("category", "container", "unknown"):
                continue
            for number, a, b in runon_items(self.norm, n.body):
                n.children.append(self._runon_node(n, number, a, b))

    def _loose_runons(self, closing: Span | None) -> list[Node]:
        """A text without headings (news of a feedback meeting): its run-on problems."""
        lines = [ln for ln in self.loose if closing is None or ln[1] <= closing[0]]
        return [self._runon_node(self.root, number, a, b) for number, a, b in runon_items(self.norm, lines)]

    def _runon_node(self, parent: Node, number: str | None, a: int, b: int) -> Node:
        # The first sentence states the problem; the sentences after it are its facts.
        stop = self.norm.find("。", a, b)
        if 0 <= stop < b - 1:
            title_end = stop
            rest = _trim_span(self.norm, stop + 1, b)
        else:
            title_end, rest = b, None
        title = self.norm[a:title_end].strip(" \u3000:;,。、")
        node = Node(None, "runon", a, b, parent, title_override=title, number_override=number)
        node.line_end = b
        node.description = rest
        return node

    # the sentences that state a node's facts
    def _describe(self, node: Node, doc_type: DocType) -> None:
        """The text between a heading and its measures (its 整改措施 label, first measure or
        first child): for a letter or a plan, the sentences that state the problem. In a
        progress notice the text under a problem is its progress, so only a statement set
        apart from it (by a 整改情况 label, or a 问题表现 label of its own) counts."""
        h = node.heading
        first_from: int | None = None
        if h is not None and h.rest_start is not None:
            m = _TITLE_LEAD.search(h.title)
            if m and m.start() > 0:
                # "标题，具体表现为：……": the title is the heading, the rest is its facts.
                node.title_override = h.title[: m.start()].rstrip(" ,")
                first_from = h.title_start + m.start(1)
        if not node.body and first_from is None:
            return
        bounds = [x for x in (node.measure_from,) if x is not None]
        if doc_type != "progress_notice" and node.measures:
            bounds.append(node.measures[0].start)
        if node.children:
            bounds.append(node.children[0].start)
        cut = min(bounds) if bounds else None
        notice_free = doc_type == "progress_notice" and node.measure_from is None
        pieces: list[Span] = []
        for a, b in sorted(node.body):
            if cut is not None and a >= cut:
                break
            s = self.norm[a:b]
            if "\t" in s or is_resp_line(s) or label_kind(s) == "measure":
                break
            if label_kind(s) == "other" and not _DESC_LABEL.match(s):
                break
            if notice_free and not (pieces or _DESC_LABEL.match(s)):
                break
            if cut is not None and b > cut:
                b = max((self.norm.rfind(p, a, cut) for p in "。;!?"), default=-1) + 1
                if b <= a:
                    break
            pieces.append((a, b))
        if first_from is not None and (not pieces or first_from < pieces[0][0]):
            pieces.insert(0, (first_from, first_from))
        if not pieces:
            return
        node.description = _trim_span(self.norm, pieces[0][0], pieces[-1][1])

    # sections and the roots of the findings tree
    def _sections(self, doc_type: DocType) -> tuple[list[SectionOut], list[Node]]:
        top = self.root.children
        kinds = [_part_kind(n) for n in top]
        sections_mode = any(
            k in ("organisation", "long_term", "next_steps", "other", "container") for k in kinds
        )
        holders = [i for i, n in enumerate(top) if n.children]
        if sections_mode and doc_type == "progress_notice" and holders:
            # A part of prose in a notice whose other parts hold the findings: before them
            # it tells how the work was organised (统一思想，精心组织), after them it is not
            # a finding either.
            for i, (n, k) in enumerate(zip(top, kinds, strict=True)):
                if k == "unknown" and not n.children:
                    kinds[i] = "organisation" if i < holders[0] else "other"
        roots: list[Node] = []
        out: list[SectionOut] = []
        unknown = [n for n, k in zip(top, kinds, strict=True) if k == "unknown" and n.children]
        # Findings in several top-level parts (one per category) keep each part as a
        # category; a single part of findings (整改落实情况) only holds them.
        parts = [n for n, k in zip(top, kinds, strict=True) if k in ("container", "unknown") and n.children]
        for n, k in zip(top, kinds, strict=True):
            kind: SectionKind
            if not sections_mode or (len(parts) > 1 and n.children and k in ("container", "unknown")):
                roots.append(n)
                kind = "findings"
            elif k == "container" or (
                k == "unknown"
                and len(unknown) == 1
                and n.children
                and any(c.children or c.body for c in n.children)
            ):
                roots.extend(_held(n))
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

    def _assign(self, node: Node, inherited: dict[str, str]) -> int:
        """Read the measures of ``node`` and of every node below it; responsibility stated
        for a whole part applies to each measure under it. Returns how many were read."""
        shared: dict[str, str] = {}
        blocks: list[Resp] = []
        if node.body and not node.measures:
            shared, blocks = self._measures(node, inherited)
        down = {**inherited, **shared} if shared else inherited
        n = len(node.measures)
        for c in node.children:
            n += self._assign(c, down)
        if n:
            for blk in blocks:
                self.attached.update(blk.keys)
        return n

    def _measures(self, node: Node, inherited: dict[str, str]) -> tuple[dict[str, str], list[Resp]]:
        """Read the measures of ``node``; returns the fields stated for all of it and every
        responsibility run of its body."""
        got = read_body(
            self.text,
            self.norm,
            node.body,
            measure_from=node.measure_from,
            marks=node.marks,
            inherited=inherited,
        )
        node.measures.extend(got.measures)
        self.measure_bodies.extend(got.texts)
        self.diagnostics.extend(got.diagnostics)
        return got.shared, got.blocks

    def _plan_checks(
        self, doc_type: DocType, roots: list[Node], lines: list[Line], title_span: Span | None
    ) -> None:
        """What a clerk must know before importing: responsibility that reached no measure,
        a plan without measures, and levels that look shifted."""
        self.diagnostics.extend(responsibility.unattached(self.norm, lines, self.attached))
        nodes = [n for r in roots for n in r.walk()]
        if doc_type == "plan" and not any(n.measures for n in nodes):
            span = title_span or ((lines[0].start, lines[0].end) if lines else (0, 0))
            self.diagnostics.append(
                Diagnostic(
                    "plan-no-measures",
                    "warning",
                    "文件像是整改方案，但没有读出整改措施：请核对措施是否写在“整改措施：”之后，"
                    "或以（1）、1.、①、一是等编号逐条列出",
                    span,
                )
            )
        for kind, label in (("category", "问题类别"), ("issue", "问题")):
            same = [n for n in nodes if n.kind == kind]
            if len(same) >= 3 and all(len(n.children) == 1 for n in same):
                self.diagnostics.append(
                    Diagnostic(
                        "levels-shifted",
                        "warning",
                        f"层级可能错位：全部 {len(same)} 个“{label}”都只有一个下级，"
                        "可能是编号层级写错，或整改措施被读成了下一级问题，请核对",
                        _heading_span(same[0]),
                    )
                )
        if doc_type == "plan":
            hosts = [
                n
                for n in nodes
                if n.measures and n.children and all(not c.children and not c.measures for c in n.children)
            ]
            if hosts:
                self.diagnostics.append(
                    Diagnostic(
                        "levels-shifted",
                        "warning",
                        f"层级可能错位：有 {len(hosts)} 处（如“{hosts[0].title}”）读出了整改措施，"
                        "而其下级问题都没有措施，可能是措施被读成了下一级问题，请核对",
                        _heading_span(hosts[0]),
                    )
                )

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


# "…，具体表现为" at the end of a heading's title: the facts follow.
_TITLE_LEAD = re.compile(r"[,]\s*((?:具体|主要|突出)?表现(?:为|在))$")
# Labels that introduce the statement of a problem (its facts), not its measures.
_DESC_LABEL = re.compile(r"(?:问题(?:表现|描述|内容)|具体表现|主要表现|存在(?:的)?问题)(?:为|在)?\s*[:]")

# What introduces the problems listed in one sentence (主要是：…；…；…).
_RUNON_CUE = re.compile(
    r"(?:主要是|主要有|主要表现(?:在|为)|具体(?:表现)?(?:为|在|是)|突出表现(?:在|为)|表现(?:在|为))\s*[:,]?\s*"
)
# A sentence that asks for something (巡察组建议，… / 会议要求，…) introduces no problems.
_ASKS = re.compile(r"建议|要求|强调|希望")
_PROBLEM_CUE = re.compile(r"问题|不足|差距|短板|薄弱|不到位|有待")
_FIRST_SHI = re.compile(r"一是")


def _trim_span(norm: str, a: int, b: int) -> Span | None:
    while a < b and norm[a] in " \u3000\t\n:":
        a += 1
    while b > a and norm[b - 1] in " \u3000\t\n":
        b -= 1
    return (a, b) if a < b else None


def _asks(norm: str, a: int, b: int) -> bool:
    """Whether the sentence ``norm[a:b]`` asks for something in its first clause."""
    comma = norm.find(",", a, b)
    return _ASKS.search(norm, a, min(b, a + 24) if comma < 0 else min(comma, a + 24)) is not None


def _sentence_start(norm: str, lo: int, pos: int) -> int:
    i = max(norm.rfind("。", lo, pos), norm.rfind("!", lo, pos), norm.rfind("?", lo, pos))
    return lo if i < 0 else i + 1


def _enumerated(norm: str, a: int, b: int) -> list[tuple[str | None, int, int]]:
    """The items of an inline enumeration (一是…二是…) in ``norm[a:b]``, or []."""
    split = split_measures(norm, [(a, b)])
    if not split.enumerated or len(split.measures) < 2:
        return []
    out: list[tuple[str | None, int, int]] = []
    for i, (ordinal, x, y) in enumerate(split.measures):
        if i == len(split.measures) - 1:
            stop = norm.find("。", x, y)
            y = y if stop < 0 else stop
        out.append((_CN_ORD[ordinal] if ordinal < len(_CN_ORD) else str(ordinal), x, y))
    return out


_CN_ORD = ("", *"一二三四五六七八九十", *("十" + d for d in "一二三四五六七八九"))


def runon_items(norm: str, lines: list[Span]) -> list[tuple[str | None, int, int]]:
    """Problems written as one run-on sentence in the paragraphs ``lines``: after a cue
    (主要是：A；B；C。 / 具体为：一是…；二是…) or as 一是…；二是… after a sentence that
    names problems. Each is ``(number or None, start, end)``; a sentence that asks for
    something (巡察组建议，一是…) gives none."""
    out: list[tuple[str | None, int, int]] = []
    for lo, hi in lines:
        pos = lo
        while pos < hi:
            m = _RUNON_CUE.search(norm, pos, hi)
            if m is None:
                break
            if _asks(norm, _sentence_start(norm, lo, m.start()), m.start()):
                pos = m.end()
                continue
            items = _enumerated(norm, m.end(), hi)
            if items:
                end = items[-1][2]
            else:
                stop = norm.find("。", m.end(), hi)
                end = hi if stop < 0 else stop
                items = []
                x = m.end()
                for part in re.split(r"(;)", norm[m.end() : end]):
                    if part != ";":
                        items.append((None, x, x + len(part)))
                    x += len(part)
                if len(items) < 2:
                    items = []
            kept = [(n, *ab) for n, x, y in items if (ab := _trim_span(norm, x, y)) is not None]
            if len(kept) >= 2:
                out.extend((n, x, y) for n, (x, y) in ((k[0], (k[1], k[2])) for k in kept))
            pos = max(end, m.end())
        if any(lo <= x < hi for _, x, _ in out):
            continue
        m = _FIRST_SHI.search(norm, lo, hi)
        if m is None:
            continue
        here = _sentence_start(norm, lo, m.start())
        before = _sentence_start(norm, lo, max(lo, here - 1))
        if _asks(norm, here, m.start()) or not _PROBLEM_CUE.search(norm, before, m.start()):
            continue
        found = _enumerated(norm, m.start(), hi)
        out.extend((n, x, y) for n, x, y in found if _trim_span(norm, x, y))
    return [(n, *_trim_items(norm, x, y)) for n, x, y in out]


def _trim_items(norm: str, a: int, b: int) -> Span:
    span = _trim_span(norm, a, b) or (a, b)
    a, b = span
    while b > a and norm[b - 1] in ";,、。":
        b -= 1
    return a, b


def _heading_span(node: Node) -> Span:
    return (node.start, node.line_end if node.line_end > node.start else node.end)


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
    ("long_term", re.compile(r"长效|常态化|建章立制")),
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
            r"意见建议|整改意见|整改建议|工作建议|整改要求|有关要求"
        ),
    ),
)


# Next steps worded as carrying the work on (持续深化整改… / 巩固整改成果…): a part of prose.
_NEXT_WEAK = re.compile(
    r"持续深化|深化整改|持续推进|持续抓好|持续用力|久久为功|巩固.{0,4}成果|继续|再接再厉|善作善成"
)


def _part_kind(node: Node) -> _TitleKind:
    """What a part is: its title's kind, and prose that carries the work on is next steps."""
    kind = _section_kind(node.title)
    if kind in ("container", "unknown") and not node.children and _NEXT_WEAK.search(node.title):
        return "next_steps"
    return kind


def _held(part: Node) -> list[Node]:
    """The findings a part of findings holds: its children, through a part of findings
    inside it (整改落实情况 → （二）反馈问题整改情况 → …), without the parts of prose beside
    them (（一）整改工作推进情况)."""
    kids = part.children
    nested = any(c.children for c in kids)
    out: list[Node] = []
    for c in kids:
        k = _part_kind(c)
        if c.children and k == "container":
            out.extend(_held(c))
        elif nested and not c.children and k != "category":
            continue
        else:
            out.append(c)
    return out


def _section_kind(title: str) -> _TitleKind:
    for kind, rx in _KIND_WORDS:
        if rx.search(title):
            return kind
    return "unknown"


def build_outline(text: str, norm: str) -> Outline:
    """Read the outline of ``text`` (``norm`` is its width-folded copy, same offsets)."""
    return _Builder(text, norm).build()
