"""`zhenggai demo`: migrate, load the seed round with demo accounts, serve.

Safe to run twice: units, accounts and the round are found again, not duplicated. Each run
keeps measures of the round in every warning tier (green, yellow, red, black) relative to
that day, keeps one 延期申请 waiting, and runs ``zhenggai remind`` (which sends nothing twice).
The first run also publishes the round's progress notice on the public site /gk/ (its 内部 items
made 公开, a few measures' progress worded for the public, the check's hits masked, approved
from the console) and leaves one citizen's feedback waiting for the clerk.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from zhenggai.accounts.services import admin_role_set
from zhenggai.disclosure.models import PublicationVersion, VersionStatus
from zhenggai.disclosure.services import publish_demo
from zhenggai.feedback.models import Feedback
from zhenggai.feedback.services import feedback_submit, form_token
from zhenggai.ledger import services
from zhenggai.ledger.imports import round_import
from zhenggai.ledger.models import Finding, FindingKind, Measure, Round
from zhenggai.ledger.policy import OPEN
from zhenggai.reports.services import draft_save
from zhenggai.supervision.models import Extension, ExtensionStatus
from zhenggai.supervision.rules import LEVELS, tier_of, tiers_for
from zhenggai.supervision.services.extensions import extension_request
from zhenggai.supervision.services.reminders import remind
from zhenggai.units.models import Role, UnitKind
from zhenggai.units.services import membership_grant, unit_get_or_create

SEED = Path(settings.PROJECT_DIR) / "seeds" / "000_3fc582a97ef44a37.txt"
DEMO_PASSWORD = "zhenggai-demo-2026"  # noqa: S105  the demo accounts' password, printed to the operator

ACCOUNTS = [
    # username, name, role, unit key
    ("xunchaban", "王监督（县委巡察办）", Role.SUPERVISOR, "county"),
    ("dadui_lead", "李大队长（第一责任人）", Role.UNIT_LEADER, "brigade"),
    ("zhenggaiban", "张整改（整改办）", Role.CLERK, "brigade"),
    ("zeren_lingdao", "赵副大队长（责任领导）", Role.RESPONSIBLE_LEADER, "brigade"),
    ("zerenren1", "陈民警（责任人）", Role.RESPONSIBLE_PERSON, "brigade"),
    ("zerenren2", "刘民警（责任人）", Role.RESPONSIBLE_PERSON, "brigade"),
    ("chakan", "周查看（查看）", Role.VIEWER, "brigade"),
    ("xinfang", "吴信访（群众反馈办理）", Role.FEEDBACK, "brigade"),
    ("caizheng_clerk", "孙整改（县财政局，他单位）", Role.CLERK, "finance"),
]
DEPARTMENTS = ["综合办公室", "宣教股", "城区中队", "车管所", "事故处理中队", "法制室"]
# 三员: administrators hold no unit role and never touch ledger data.
ADMINS = [
    ("xitong_admin", "吴系统（系统管理员）", "system_admin"),
    ("anquan_admin", "郑安全（安全管理员）", "security_admin"),
    ("shenji_admin", "冯审计（审计管理员）", "audit_admin"),
]


class Command(BaseCommand):
    help = "建立演示数据（单位、账号、种子轮次）并启动服务"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--no-serve", action="store_true", help="只建立数据，不启动服务")

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO())
        round_ = load_demo()
        report = remind()
        url = f"http://{opts['host']}:{opts['port']}/"
        self.stdout.write(f"演示轮次：{round_.title}（第 {round_.pk} 号）")
        by_tier = "，".join(f"{LEVELS[k]} {n} 条" for k, n in report.by_tier.items()) or "无新增"
        self.stdout.write(f"预警提醒：{by_tier}")
        self.stdout.write(f"网址：{url}")
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, name, role, _ in ACCOUNTS:
            self.stdout.write(f"  {username:<16} {name}　{Role(role).label}")
        for username, name, _ in ADMINS:
            self.stdout.write(f"  {username:<16} {name}")
        if opts["no_serve"]:
            return
        from django.core.servers.basehttp import get_internal_wsgi_application
        from waitress import serve

        application = get_internal_wsgi_application()  # settings.WSGI_APPLICATION, as runserver

        self.stdout.write("按 Ctrl+C 停止服务。")
        serve(application, host=opts["host"], port=opts["port"], threads=8, ident="zhenggai")


def load_demo() -> Round:
    """Units, accounts, the seed round and sensible assignments; idempotent."""
    User = get_user_model()
    county = unit_get_or_create(actor=None, name="中共望江县委员会", parent=None, kind=UnitKind.COMMITTEE)
    police = unit_get_or_create(actor=None, name="望江县公安局", parent=county, kind=UnitKind.BUREAU)
    brigade = unit_get_or_create(
        actor=None, name="望江县公安局交通管理大队", parent=police, kind=UnitKind.BRIGADE
    )
    finance = unit_get_or_create(actor=None, name="望江县财政局", parent=county, kind=UnitKind.BUREAU)
    depts = [
        unit_get_or_create(actor=None, name=d, parent=brigade, kind=UnitKind.DEPARTMENT) for d in DEPARTMENTS
    ]
    units = {"county": county, "brigade": brigade, "finance": finance}
    users = {}
    for username, name, role, key in ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, display_name=name)
            user.set_password(DEMO_PASSWORD)
            user.save()
        membership_grant(actor=None, user=user, unit=units[key], role=role)
        users[username] = user
    for username, name, admin_role in ADMINS:
        if not User.objects.filter(username=username).exists():
            admin = User(username=username, display_name=name)
            admin.set_password(DEMO_PASSWORD)
            admin.save()
            admin_role_set(actor=None, user=admin, role=admin_role)
    clerk = users["zhenggaiban"]
    round_, created = round_import(actor=clerk, unit=brigade, data=SEED.read_bytes(), name=SEED.name)
    if created:
        _assign(round_, clerk, users, depts)
    _keep_tiers(round_, clerk)
    _keep_extension(round_)
    _publish(round_, clerk)
    _citizen_feedback(round_)
    return round_


#: What the clerk wrote for the public about the progress of the first measures (plan order).
PUBLIC_PROGRESS = [
    "已制定年度学习计划并印发，明确十个学习专题，按月组织集中学习。",
    "已开展专题研讨两次，形成研讨材料并归档。",
    "已对照问题清单逐项整改，相关制度已修订印发。",
]


def _publish(round_: Round, clerk: Any) -> None:
    """The first time: the notice drafted, checked, approved and published (version 1)."""
    if PublicationVersion.objects.filter(
        publication__round=round_, status=VersionStatus.PUBLISHED
    ).exists():
        return
    services.round_label_public(actor=clerk, round=round_)
    measures = Measure.objects.filter(round=round_).order_by("finding__position", "position")
    texts: dict[int | str, str] = {
        m.pk: t for m, t in zip(measures[: len(PUBLIC_PROGRESS)], PUBLIC_PROGRESS, strict=True)
    }
    # The unit's own feedback channels, as printed at the end of the seed notice.
    draft_save(
        actor=clerk,
        round=round_,
        expected_version=0,
        kind="notice",
        progress_texts=texts,
        phone="0556-7170878",
        email="852887055@qq.com",
        address="望江县雷阳大道",
    )
    publish_demo(round=round_)


def _citizen_feedback(round_: Round) -> None:
    """One citizen's feedback waiting to be handled (the first time only)."""
    if Feedback.objects.filter(round=round_).exists():
        return
    feedback_submit(
        round=round_,
        token=form_token(round=round_),
        content="雷阳大道与长江路交叉口的违停问题整改后又有反弹，早晚高峰经常堵车，希望加强巡查。",
        name="王小明",
        phone="13812345678",
        consent=True,
        consent_publish=True,
        client_ip="127.0.0.1",
    )


#: A deadline this many days from today puts a measure in each default tier (20, 10, -1, -30).
TIER_OFFSETS = {"green": 15, "yellow": 5, "red": -5, "black": -40}


def _candidates(round_: Round) -> list[Measure]:
    """Open, assigned measures of the round without a waiting 延期申请, in plan order."""
    waiting = Extension.objects.filter(round=round_, status=ExtensionStatus.PENDING).values("measure_id")
    return list(
        Measure.objects.filter(round=round_, status__in=sorted(OPEN), person__isnull=False)
        .exclude(pk__in=waiting)
        .order_by("finding__position", "position", "id")
    )


def _tier(m: Measure, today: dt.date, tiers: list[dict[str, Any]]) -> str | None:
    return tier_of(deadline=m.deadline, status=m.status, today=today, tiers=tiers)


def _keep_tiers(round_: Round, clerk: Any) -> None:
    """Re-date a measure for each tier that has none today (the demo run again days later): one
    in no tier, else one of a tier that has others. Nothing changes when every tier has one."""
    today = timezone.localdate()
    tiers = tiers_for(round_)
    placed = [(m, _tier(m, today, tiers)) for m in _candidates(round_)]
    counts = Counter(t for _, t in placed)
    for key, offset in TIER_OFFSETS.items():
        if counts[key]:
            continue
        spare = next((i for i, (_, t) in enumerate(placed) if t is None), None)
        if spare is None:
            spare = next((i for i, (_, t) in enumerate(placed) if t is not None and counts[t] > 1), None)
        if spare is None:
            return
        m, old = placed[spare]
        services.measure_assign_bulk(
            actor=clerk, round=round_, measure_ids=[m.pk], deadline=today + dt.timedelta(days=offset)
        )
        counts[old] -= 1
        counts[key] += 1
        placed[spare] = (m, key)


def _keep_extension(round_: Round) -> None:
    """One 延期申请 waiting for the responsible leader, asked by the responsible person of the last
    measure in no tier yet (so the tiers keep theirs); none added while one waits."""
    if Extension.objects.filter(round=round_, status=ExtensionStatus.PENDING).exists():
        return
    today = timezone.localdate()
    tiers = tiers_for(round_)
    candidates = _candidates(round_)
    calm = [m for m in candidates if _tier(m, today, tiers) is None]
    pool = calm or candidates
    if not pool or pool[-1].person is None:
        return
    chosen = pool[-1]
    base = max(chosen.deadline or today, today)
    extension_request(
        actor=chosen.person,
        measure=chosen,
        new_deadline=base + dt.timedelta(days=30),
        reason="需会同县交通运输局联合整治，协调时间较长，申请延期一个月。",
    )


def _assign(round_: Round, clerk: Any, users: dict[str, Any], depts: list[Any]) -> None:
    """Owners and deadlines for every measure; a little progress to show the workflow."""
    # Deadlines around today, so the demo shows overdue, due-soon and later items.
    today = timezone.localdate()
    problems = list(Finding.objects.filter(round=round_, kind=FindingKind.PROBLEM).order_by("position"))
    persons = [users["zerenren1"], users["zerenren2"]]
    for i, p in enumerate(problems):
        ids = list(Measure.objects.filter(finding=p).values_list("pk", flat=True))
        services.measure_assign_bulk(
            actor=clerk,
            round=round_,
            measure_ids=ids,
            leader=users["zeren_lingdao"],
            department=depts[i % len(depts)],
            person=persons[i % 2],
            deadline=today + dt.timedelta(days=15 * (i % 6) - 20),
        )
    first = Measure.objects.filter(round=round_).order_by("finding__position", "position").first()
    if first is not None and first.person is not None:
        services.progress_add(
            actor=first.person, measure=first, text="已制定《2022年度学习计划》并印发全队，明确十大学习专题。"
        )
        services.measure_submit(actor=first.person, measure=first)
