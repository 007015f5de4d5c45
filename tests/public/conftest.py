"""Published versions for the public site's tests.

``publish`` writes ``Publication``/``PublicationVersion`` rows in the shape the disclosure
workflow stores them (``version_submit`` + ``version_approve``), so that these tests can vary
what the site must show (many rounds, hostile titles, corrections, pending and rejected rows)
without rendering documents. The public site reads only these rows; ``test_through_disclosure.py``
publishes through the real services and checks the same pages.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from tests.today import days_from_today

PHONE = "13812345678"
NAME = "王小明"


def notice_blocks(title: str, *, extra: str = "") -> list[dict[str, str]]:
    return [
        {"role": "title", "text": title},
        {
            "role": "body",
            "text": "根据县委统一部署，县委第三巡察组对我大队进行了巡察，现将整改进展情况予以公布。",
        },
        {"role": "h1", "text": "一、整改工作的组织领导"},
        {"role": "body", "text": "大队党委把巡察整改作为重大政治任务，成立了整改工作领导小组。" + extra},
        {"role": "h2", "text": "（一）压实整改责任"},
        {"role": "body", "text": "欢迎广大干部群众对巡察整改落实情况进行监督。联系电话：0556-1234567。"},
        {"role": "blank", "text": ""},
        {"role": "sign", "text": "中共望江县公安局交通管理大队委员会"},
        {"role": "date", "text": "2025年1月1日"},
    ]


def open_data(*, done: int = 1, open_: int = 2, text: str = "") -> dict[str, Any]:
    problems = []
    for i in range(done + open_):
        finished = i < done
        problems.append(
            {
                "seq": i + 1,
                "category": "党的建设方面",
                "issue": "落实全面从严治党责任不到位",
                "title": f"问题{i + 1}的标题{text}" if finished else f"尚未完成的问题{i + 1}{text}",
                "state": "已完成" if finished else "正在整改",
                "measures": [
                    {
                        "seq": 1,
                        "text": f"整改措施{i + 1}-1{text}",
                        "status": "已完成" if finished else "整改中",
                        "deadline": days_from_today(30).isoformat(),
                        "long_term": False,
                        "completed_on": days_from_today(-3).isoformat() if finished else None,
                        "progress": f"已开展专项清理{text}",
                    }
                ],
            }
        )
    return {"problems": problems}


def figures_for(data: dict[str, Any]) -> dict[str, Any]:
    problems = data["problems"]
    completed = sum(1 for p in problems if p["state"] == "已完成")
    return {
        "problems": len(problems),
        "completed": completed,
        "basic": 0,
        "in_progress": len(problems) - completed,
        "measures": len(problems),
        "measures_done": completed,
        "overdue": 0,
        "rules": 1,
        "money_yuan": "0.00",
        "accountable": 0,
        "completion_rate": completed / len(problems) if problems else 0.0,
    }


@dataclass
class Publisher:
    personas: Any

    def round(self, title: str = "县委第三巡察组巡察反馈问题整改", unit: Any = None) -> Any:
        from zhenggai.ledger.services import round_create

        unit = unit or self.personas.unit_a
        clerk = self.personas.clerk if unit == self.personas.unit_a else self.personas.outsider
        return round_create(actor=clerk, unit=unit, title=title)

    def publication(self, round_: Any) -> Any:
        from zhenggai.disclosure.models import Publication

        pub = Publication.objects.filter(round=round_).first()
        if pub is None:
            pub = Publication.objects.create(round=round_, unit=round_.unit, public_id=secrets.token_hex(8))
        return pub

    def publish(
        self,
        round_: Any,
        kind: str = "notice",
        *,
        title: str = "关于县委第三巡察组巡察反馈意见整改进展情况的通报",
        blocks: list[dict[str, str]] | None = None,
        data: dict[str, Any] | None = None,
        change_note: str = "",
        status: str = "published",
        as_of_days: int = 0,
    ) -> Any:
        from zhenggai.disclosure.models import PublicationVersion

        pub = self.publication(round_)
        blocks = blocks if blocks is not None else notice_blocks(title)
        data = data if data is not None else open_data()
        figures = figures_for(data)
        published = status == "published"
        number = None
        if published:
            last = PublicationVersion.objects.filter(publication=pub, kind=kind, number__isnull=False).count()
            number = last + 1
        content = json.dumps(
            {"b": blocks, "f": figures, "d": data, "n": number}, ensure_ascii=False, sort_keys=True
        )
        pdf = b"%PDF-1.4\n% " + content.encode()[:64] + b"\n%%EOF\n"
        docx = b"PK\x03\x04" + content.encode()[:64]
        now = timezone.now()
        return PublicationVersion.objects.create(
            publication=pub,
            kind=kind,
            unit=round_.unit,
            status=status,
            number=number,
            draft_version=1,
            title=title,
            as_of=days_from_today(as_of_days),
            blocks=blocks,
            figures=figures,
            data=data,
            change_note=change_note,
            content_sha256=hashlib.sha256(content.encode()).hexdigest(),
            pdf=pdf,
            docx=docx,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            docx_sha256=hashlib.sha256(docx).hexdigest(),
            submitted_by=self.personas.clerk,
            submitted_at=now,
            decided_by=self.personas.leader if published else None,
            decided_at=now if published else None,
            published_at=now if published else None,
        )


@pytest.fixture
def publisher(personas: Any) -> Publisher:
    return Publisher(personas)


@pytest.fixture
def published(publisher: Publisher) -> Any:
    """A round of unit A with its notice published (version 1)."""
    round_ = publisher.round()
    return publisher.publish(round_)


@pytest.fixture
def logged_in_clerk(client: Any, personas: Any) -> Any:
    """A test client holding the clerk's staff session."""
    from django.test import Client

    c = Client()
    c.force_login(personas.clerk)
    return c
