"""The official documents, built from the ledger for both renderers.

``build_notice`` gives the 整改进展情况的通报, ``build_report`` the 整改情况报告 and
``build_plan`` the 整改方案 as an ``OfficialDocument``: title lines, body blocks (paragraphs
with a GB/T 9704 role), the signature, attachments with tables, a QR code of the feedback
page. ``docx_render`` and ``pdf_render`` only lay it out.

The notice follows the published genre, so that textparse reads it back to the ledger's
outline: 一、(the clerk's text) 二、category （一） → issue 1. → problem （1）针对…问题,
each problem's measures in one paragraph 一是…；二是…。 with their progress, 三、(the
clerk's text), the headline statistics, the feedback channels, signature and date. The
report is built the same way, addressed to the inspection office (主送), with 一、主要做法
二、整改落实情况 三、长效机制 四、下一步 and 特此报告。
Measure and progress texts are checked with textparse's own enumeration splitter before
they are written; an inline 一是…二是… inside a progress text that would read back as
extra measures is rewritten as 其一，…其二，….

A measure's progress is only ever the clerk's public wording (``NoticeDraft.progress_texts``):
a 责任人's raw progress note never enters a document (issue 12: one went word for word into a
public notice, and a note of 5,000 characters took it from 4 pages to 12).

The clerk's parts live in ``NoticeDraft`` (``draft_for`` / ``draft_save``), one per kind.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from zhenggai.accounts.actors import Viewer
from zhenggai.accounts.models import User
from zhenggai.ledger import selectors
from zhenggai.ledger.models import (
    FindingKind,
    Measure,
    MeasureKind,
    MeasureStatus,
    Round,
    RoundKind,
)
from zhenggai.ledger.policy import FINISHED
from zhenggai.textparse.enumerations import split_measures
from zhenggai.textparse.markers import Line, match_heading
from zhenggai.textparse.numerals import fold_width

from .models import NoticeDraft
from .official import (
    KIND_WORD,
    Attachment,
    AttachmentNote,
    Blank,
    Block,
    Column,
    OfficialDocument,
    Para,
    QrCode,
    Signature,
    Table,
    cn_number,
    date_cn,
    money_cn,
    period_cn,
    rate_cn,
    superior_of,
)
from .selectors import DocumentLedger, MeasureRow, document_ledger, draft_for

# --- measure paragraphs that read back as written -----------------------------------------------

_END_PUNCT = "。；;，,、：: \u3000"
_ORDINAL_AT_BOUNDARY = re.compile(
    r"(^|[;；。，,、：:！？!?）)\s])([一二三四五六七八九十]{1,3})是(?![否指为的])"
)


def _one_line(text: str) -> str:
    """A text of several lines as one run of a paragraph (a line break would start a new paragraph)."""
    lines = [ln.strip(" \u3000\t") for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    out = ""
    for i, ln in enumerate(lines):
        out += ln
        if i + 1 < len(lines) and ln[-1] not in "。；;，,、：:！？!?":
            out += "；"
    return out


def _neutralise(text: str) -> str:
    """一是…二是… inside a text → 其一，…其二，… (it would be read as further measures)."""
    return _ORDINAL_AT_BOUNDARY.sub(lambda m: f"{m.group(1)}其{m.group(2)}，", text)


_STATUS_WORD: dict[str, str] = {
    MeasureStatus.DONE: "已完成",
    MeasureStatus.STAGE_DONE: "已取得阶段性成效，持续推进",
    MeasureStatus.PENDING_REVIEW: "已完成，正在审核",
    MeasureStatus.LEADER_REVIEW: "已完成，正在审核",
    MeasureStatus.IN_PROGRESS: "正在推进",
}


def _measure_clause(row: MeasureRow, public: str, *, neutralise: bool) -> str:
    """The measure, its status word and ``public`` (the clerk's wording of its progress)."""
    m = row.measure
    text = _one_line(m.text).rstrip(_END_PUNCT) or "（空）"
    progress = _one_line(public).rstrip(_END_PUNCT)
    if neutralise:
        text, progress = _neutralise(text), _neutralise(progress)
    word = _STATUS_WORD.get(m.status, "")
    if m.kind == MeasureKind.LONG_TERM and m.status in FINISHED:
        word = "长期坚持"
    if progress and not word:
        word = "正在推进"
    if progress:
        return f"{text}（{word}：{progress}）"
    return f"{text}（{word}）" if word else text


def _enumerate(clauses: list[str]) -> tuple[str, list[int]]:
    text = ""
    starts = []
    for i, c in enumerate(clauses, 1):
        if i > 1:
            text += "；"
        text += f"{cn_number(i)}是"
        starts.append(len(text))
        text += c
    return text + "。", starts


def _reads_back(text: str, starts: list[int]) -> bool:
    split = split_measures(fold_width(text), [(0, len(text))])
    return [a for _, a, _ in split.measures] == starts


def measures_paragraph(rows: list[MeasureRow], progress: Mapping[str, str] | None = None) -> tuple[str, bool]:
    """一是…；二是…。 for the measures with their public progress (``{str(measure id): text}``),
    and whether it reads back as that many measures."""
    texts = [(progress or {}).get(str(r.measure.pk), "") for r in rows]
    text, starts = _enumerate(
        [_measure_clause(r, t, neutralise=False) for r, t in zip(rows, texts, strict=True)]
    )
    if _reads_back(text, starts):
        return text, True
    text, starts = _enumerate(
        [_measure_clause(r, t, neutralise=True) for r, t in zip(rows, texts, strict=True)]
    )
    return text, _reads_back(text, starts)


def problem_heading(number: int, title: str) -> str:
    """（1）针对…问题, or （1）… where that wording would not read back as the same title."""
    for text in (f"（{number}）针对{title}问题", f"（{number}）{title}"):
        folded = fold_width(text)
        h = match_heading(Line(0, len(folded), folded))
        if h is not None and h.title == fold_width(title).strip():
            return text
    return f"（{number}）{title}"


# --- the notice ---------------------------------------------------------------------------------


def opening_paragraph(round: Round, *, notice: bool, report: bool = False) -> str:
    unit = round.unit.name
    group = round.inspecting_group
    parts = []
    superior = superior_of(group)
    lead = f"根据{superior}统一部署" if superior else "根据巡察工作统一部署"
    period = period_cn(round.period_start, round.period_end)
    kind = KIND_WORD.get(round.kind, "巡察")
    if group:
        parts.append(f"{lead}，{period + '，' if period else ''}{group}对{unit}开展了{kind}。")
        fed = f"{date_cn(round.feedback_date)}，" if round.feedback_date else ""
        parts.append(f"{fed}{group}向{unit}反馈了巡察意见。")
    else:
        parts.append(f"{lead}，{period + '，' if period else ''}{unit}接受了{kind}。")
    if report:
        parts.append(f"{unit}高度重视，认真对照反馈问题逐项抓好整改落实。现将巡察整改情况报告如下：")
    elif notice:
        parts.append(
            "根据《中国共产党巡视工作条例》和《中国共产党党内监督条例》有关规定，现将巡察整改进展情况予以公布："
        )
    else:
        parts.append("为认真抓好巡察反馈问题整改落实，结合工作实际，制定本方案。")
    return "".join(parts)


def statistics_sentence(ledger: DocumentLedger, on: dt.date) -> str:
    t = ledger.overview.tally
    rest = t.problems - t.problems_complete - t.problems_basic
    s = (
        f"截至{date_cn(on)}，巡察反馈的{t.problems}个具体问题，已完成整改{t.problems_complete}个，"
        f"基本完成{t.problems_basic}个，正在整改{rest}个，完成率{rate_cn(t.completion_rate)}；"
        f"建立完善制度{ledger.rules}项"
    )
    if ledger.money:
        s += f"，清退追缴资金{money_cn(ledger.money)}"
    if ledger.accountable:
        s += f"，追责问责{ledger.accountable}人次"
    return s + "。具体情况如下："


def channels_paragraph(draft: NoticeDraft, feedback_url: str | None = None) -> str:
    s = "欢迎广大干部群众对巡察整改落实情况进行监督。如有意见建议，请及时向我们反映。"
    parts = []
    if draft.phone.strip():
        parts.append(f"联系电话：{draft.phone.strip()}")
    if draft.address.strip():
        parts.append(f"邮寄地址：{draft.address.strip()}")
    if draft.email.strip():
        parts.append(f"电子邮箱：{draft.email.strip()}")
    if feedback_url:
        parts.append(f"网上反映：{feedback_url}")
    return s + "；".join(parts) + ("。" if parts else "")


def _clerk_paragraphs(text: str) -> list[Para]:
    return [Para(ln.strip(" \u3000\t")) for ln in text.splitlines() if ln.strip(" \u3000\t")]


@dataclass
class _Numbering:
    category: int = 0
    issue: int = 0
    problem: int = 0


def _findings_blocks(
    ledger: DocumentLedger, warnings: list[str], *, notice: bool, progress: Mapping[str, str] | None = None
) -> list[Block]:
    """Category （一） → issue 1. → problem （1） with the measures paragraph (numbers run on);
    ``notice`` (the notice and the report): each measure with its status and public progress."""
    out: list[Block] = []
    n = _Numbering()

    def visit(node: selectors.Node) -> None:
        f = node.finding
        if f.kind == FindingKind.CATEGORY:
            n.category += 1
            out.append(Para(f"（{cn_number(n.category)}）{f.title}", "h2"))
        elif f.kind == FindingKind.ISSUE:
            n.issue += 1
            out.append(Para(f"{n.issue}.{f.title}", "h3"))
        else:
            n.problem += 1
            out.append(Para(problem_heading(n.problem, f.title), "h4"))
        rows = ledger.measures.get(f.pk, [])
        if rows:
            if notice:
                text, ok = measures_paragraph(rows, progress)
                if not ok:
                    warnings.append(
                        f"“{f.title}”的措施或进展文字中含有“一是”“二是”等序号，"
                        "生成的通报读回时措施数可能不同，请拆分该措施或修改文字"
                    )
            else:
                text, _ = _enumerate([_one_line(r.measure.text).rstrip(_END_PUNCT) or "（空）" for r in rows])
            out.append(Para(text))
        for c in node.children:
            visit(c)

    for root in ledger.overview.roots:
        visit(root)
    return out


def _left_out_warning(ledger: DocumentLedger, warnings: list[str]) -> None:
    o = ledger.overview
    if o.hidden_problems or o.hidden_measures:
        warnings.append(
            f"有{o.hidden_problems}个具体问题、{o.hidden_measures}项措施的安全标记高于您的许可级别，"
            "未列入本文档（统计数字包含它们）"
        )


def notice_title(round: Round) -> tuple[str, ...]:
    what = "巡察“回头看”整改" if round.kind == RoundKind.LOOKBACK else "巡察整改"
    return (round.unit.name, f"关于{what}进展情况的通报")


def report_title(round: Round) -> tuple[str, ...]:
    what = "巡察“回头看”整改" if round.kind == RoundKind.LOOKBACK else "巡察整改"
    return (round.unit.name, f"关于{what}情况的报告")


def addressee(round: Round) -> str:
    """主送: the inspection office of the committee that sent the group (县委第三巡察组 → 县委巡察办)."""
    superior = superior_of(round.inspecting_group)
    return f"{superior}巡察办：" if superior else "巡察工作领导小组办公室："


def _channels(
    body: list[Block], draft: NoticeDraft, feedback_url: str | None
) -> tuple[QrCode | None, int | None]:
    """The channels paragraph (with the feedback page's URL) and the QR code drawn after it."""
    body.append(Para(channels_paragraph(draft, feedback_url)))
    if not feedback_url:
        return None, None
    return QrCode(feedback_url), len(body) - 1


def build_notice(
    *,
    user: Viewer,
    round: Round,
    draft: NoticeDraft | None = None,
    feedback_url: str | None = None,
    ledger: DocumentLedger | None = None,
) -> OfficialDocument:
    """The 整改进展情况的通报 of ``round`` as ``user`` may see it (Http404 outside their units).

    ``feedback_url`` (the public feedback page) is printed in the channels paragraph and as a QR
    code; ``ledger`` is the round as ``document_ledger(user, round)`` gives it, when the caller
    has read it already.
    """
    ledger = ledger or document_ledger(user, round)
    draft = draft or draft_for(round, "notice")
    warnings: list[str] = []
    body: list[Block] = [Para(opening_paragraph(round, notice=True))]
    body.append(Para("一、加强组织领导，压实整改责任", "h1"))
    body += _clerk_paragraphs(draft.organisation_text)
    body.append(Para("二、坚持问题导向，逐项推进整改", "h1"))
    body.append(Para(statistics_sentence(ledger, draft.signed_on)))
    body += _findings_blocks(ledger, warnings, notice=True, progress=draft.progress_texts)
    body.append(Para("三、建立长效机制，巩固整改成果", "h1"))
    body += _clerk_paragraphs(draft.long_term_text)
    if draft.next_steps_text.strip():
        body.append(Para("四、下一步工作打算", "h1"))
        body += _clerk_paragraphs(draft.next_steps_text)
    qr, qr_after = _channels(body, draft, feedback_url)
    if not (draft.phone or draft.address or draft.email or feedback_url):
        warnings.append("尚未填写联系电话、邮寄地址或电子邮箱，通报中没有监督渠道")
    if ledger.overview.tally.problems == 0:
        warnings.append("该轮次还没有具体问题，通报的第二部分为空")
    _left_out_warning(ledger, warnings)
    body.append(Blank())
    return OfficialDocument(
        "notice",
        notice_title(round),
        body,
        Signature(draft.signing_unit.strip(), date_cn(draft.signed_on)),
        warnings=warnings,
        qr=qr,
        qr_after=qr_after,
    )


def build_report(
    *,
    user: Viewer,
    round: Round,
    draft: NoticeDraft | None = None,
    feedback_url: str | None = None,
    ledger: DocumentLedger | None = None,
) -> OfficialDocument:
    """The 整改情况报告 of ``round`` as ``user`` may see it, to the inspection office: built like
    the notice (the same findings, measures and public progress), so it reads back alike."""
    ledger = ledger or document_ledger(user, round)
    draft = draft or draft_for(round, "report")
    warnings: list[str] = []
    body: list[Block] = [
        Para(addressee(round), indent=False),
        Para(opening_paragraph(round, notice=False, report=True)),
        Para("一、主要做法", "h1"),
    ]
    body += _clerk_paragraphs(draft.organisation_text)
    body.append(Para("二、整改落实情况", "h1"))
    body.append(Para(statistics_sentence(ledger, draft.signed_on)))
    body += _findings_blocks(ledger, warnings, notice=True, progress=draft.progress_texts)
    body.append(Para("三、建立健全长效机制", "h1"))
    body += _clerk_paragraphs(draft.long_term_text)
    if draft.next_steps_text.strip():
        body.append(Para("四、下一步工作打算", "h1"))
        body += _clerk_paragraphs(draft.next_steps_text)
    else:
        warnings.append("尚未填写下一步工作打算，报告中没有第四部分")
    qr: QrCode | None = None
    qr_after: int | None = None
    if draft.phone or draft.address or draft.email or feedback_url:
        qr, qr_after = _channels(body, draft, feedback_url)
    body.append(Para("特此报告。"))
    if ledger.overview.tally.problems == 0:
        warnings.append("该轮次还没有具体问题，报告的第二部分为空")
    _left_out_warning(ledger, warnings)
    body.append(Blank())
    return OfficialDocument(
        "report",
        report_title(round),
        body,
        Signature(draft.signing_unit.strip(), date_cn(draft.signed_on)),
        warnings=warnings,
        qr=qr,
        qr_after=qr_after,
    )


#: The documents a clerk drafts and the builder of each (``draft_for(round, kind)`` is its draft).
BUILDERS: dict[str, Callable[..., OfficialDocument]] = {"notice": build_notice, "report": build_report}


# --- the plan -----------------------------------------------------------------------------------


def _person(user: User | None, hint: str) -> str:
    if user is not None:
        return str(user)
    return hint


def _deadline(m: Measure) -> str:
    if m.deadline:
        return date_cn(m.deadline)
    if m.kind == MeasureKind.LONG_TERM:
        return "长期坚持"
    if m.kind == MeasureKind.IMMEDIATE:
        return "立行立改"
    if m.suggested_deadline:
        return date_cn(m.suggested_deadline)
    return "待定"


def _plan_tables(ledger: DocumentLedger) -> list[Attachment]:
    problems: list[tuple[str, str, str]] = []  # category, issue, problem
    tasks: list[tuple[str | None, ...]] = []
    duties: list[tuple[str | None, ...]] = []
    seq = 0

    def visit(node: selectors.Node, category: str, issue: str) -> None:
        nonlocal seq
        f = node.finding
        if f.kind == FindingKind.CATEGORY:
            category = f.title
        elif f.kind == FindingKind.ISSUE:
            issue = f.title
        else:
            problems.append((category, issue, f.title))
            for i, row in enumerate(ledger.measures.get(f.pk, [])):
                seq += 1
                m = row.measure
                text = _one_line(m.text)
                first = f.title if i == 0 else None
                tasks.append(
                    (str(seq), first, text, m.get_kind_display(), _deadline(m), m.get_status_display())
                )
                duties.append(
                    (
                        str(seq),
                        first,
                        text,
                        _person(m.leader, m.leader_hint),
                        m.department.name if m.department else m.department_hint,
                        _person(m.person, m.person_hint),
                        _deadline(m),
                    )
                )
        for c in node.children:
            visit(c, category, issue)

    for root in ledger.overview.roots:
        visit(root, "", "")
    problem_rows: list[tuple[str | None, ...]] = []
    prev: tuple[str, str] | None = None
    for i, (cat, iss, title) in enumerate(problems, 1):
        same_cat = prev is not None and prev[0] == cat
        same_issue = same_cat and prev is not None and prev[1] == iss
        problem_rows.append((str(i), None if same_cat else cat, None if same_issue else iss, title))
        prev = (cat, iss)
    return [
        Attachment(
            1,
            "问题清单",
            Table(
                (Column("序号", 12), Column("问题类别", 55), Column("问题", 65), Column("具体问题", 93)),
                tuple(problem_rows),
            ),
        ),
        Attachment(
            2,
            "任务清单",
            Table(
                (
                    Column("序号", 12),
                    Column("具体问题", 55),
                    Column("整改措施", 98),
                    Column("整改类型", 20),
                    Column("完成时限", 24),
                    Column("整改状态", 16),
                ),
                tuple(tasks),
            ),
        ),
        Attachment(
            3,
            "责任清单",
            Table(
                (
                    Column("序号", 12),
                    Column("具体问题", 45),
                    Column("整改措施", 80),
                    Column("责任领导", 22),
                    Column("责任部门", 24),
                    Column("责任人", 18),
                    Column("完成时限", 24),
                ),
                tuple(duties),
            ),
        ),
    ]


def plan_title(round: Round) -> tuple[str, ...]:
    group = round.inspecting_group or "巡察组"
    return (round.unit.name, f"关于落实{group}反馈意见的整改方案")


def build_plan(*, user: Viewer, round: Round, on: dt.date | None = None) -> OfficialDocument:
    """The 整改方案 of ``round``: problems with measures, and the three lists as attachments."""
    ledger = document_ledger(user, round)
    t = ledger.overview.tally
    draft = NoticeDraft.objects.filter(round=round, kind="notice").first()
    on = on or selectors.today()
    warnings: list[str] = []
    body: list[Block] = [Para(opening_paragraph(round, notice=False))]
    body.append(Para("一、整改任务", "h1"))
    body.append(
        Para(
            f"巡察反馈的{t.problems}个具体问题，共制定整改措施{t.measure_total}项，"
            "逐项明确责任领导、责任部门、责任人和完成时限（见附件）。"
        )
    )
    body += _findings_blocks(ledger, warnings, notice=False)
    body.append(Para("二、工作要求", "h1"))
    body.append(
        Para(
            "各责任部门要按照问题清单、任务清单、责任清单，对账销号、逐项落实，"
            "按时报送整改进展和佐证材料；整改完成一项、销号一项，确保整改到位。"
        )
    )
    body.append(Blank())
    body.append(AttachmentNote(("1.问题清单", "2.任务清单", "3.责任清单")))
    body.append(Blank())
    unassigned = sum(
        1
        for rows in ledger.measures.values()
        for r in rows
        if r.measure.person_id is None and not r.measure.person_hint
    )
    if unassigned:
        warnings.append(f"还有{unassigned}项措施没有责任人")
    _left_out_warning(ledger, warnings)
    return OfficialDocument(
        "plan",
        plan_title(round),
        body,
        Signature(draft.signing_unit if draft else round.unit.name, date_cn(on)),
        _plan_tables(ledger),
        warnings,
    )
