"""Synthetic ledgers for the benchmarks: a round of any size, built like a real one.

``build_round(problems=2000, measures_per_problem=5)`` makes 10 categories, issues
of 10 problems each, owners spread over 20 people and 10 departments, deadlines
spread over a year around today and statuses in realistic proportions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

PROVINCE_URL = "postgres://postgres@127.0.0.1:5432/zhenggai_province"

if __name__ == "__main__":  # a script: Django is set up (on the province's database) before the models load
    _url = PROVINCE_URL
    for _i, _a in enumerate(sys.argv):
        if _a == "--database-url" and _i + 1 < len(sys.argv):
            _url = sys.argv[_i + 1]
        elif _a.startswith("--database-url="):
            _url = _a.split("=", 1)[1]
    os.environ["DATABASE_URL"] = os.environ["PROVINCE_DATABASE_URL"] = _url
    os.environ.setdefault("ZHENGGAI_DATA_DIR", tempfile.mkdtemp(prefix="zhenggai-province-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenggai.settings")
    import django

    django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.utils import timezone  # noqa: E402

from zhenggai.ledger import services  # noqa: E402
from zhenggai.ledger.models import Finding, FindingKind, Measure, MeasureStatus  # noqa: E402
from zhenggai.units.models import Role, UnitKind  # noqa: E402
from zhenggai.units.services import membership_grant, unit_create  # noqa: E402

STATUSES = [
    (MeasureStatus.NOT_STARTED, 20),
    (MeasureStatus.IN_PROGRESS, 40),
    (MeasureStatus.PENDING_REVIEW, 10),
    (MeasureStatus.DONE, 25),
    (MeasureStatus.STAGE_DONE, 5),
]


def build_round(*, problems: int = 2000, measures_per_problem: int = 5, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    User = get_user_model()
    county = unit_create(actor=None, name=f"县委{seed}", parent=None, kind=UnitKind.COMMITTEE)
    unit = unit_create(actor=None, name="某某局", parent=county, kind=UnitKind.BUREAU)
    depts = [
        unit_create(actor=None, name=f"第{i}科", parent=unit, kind=UnitKind.DEPARTMENT) for i in range(10)
    ]

    def user(name: str, where: Any, role: str) -> Any:
        u = User.objects.create(username=name, display_name=name)
        membership_grant(actor=None, user=u, unit=where, role=role)
        return u

    clerk = user("bench_clerk", unit, Role.CLERK)
    leader = user("bench_leader", unit, Role.UNIT_LEADER)
    supervisor = user("bench_supervisor", county, Role.SUPERVISOR)
    people = [user(f"bench_p{i}", unit, Role.RESPONSIBLE_PERSON) for i in range(20)]
    round_ = services.round_create(
        actor=clerk, unit=unit, title="基准测试轮次", feedback_date=dt.date(2026, 1, 10)
    )

    pos = 0

    def nodes(kind: str, parents: list[Finding | None], n_each: int) -> list[Finding]:
        nonlocal pos
        batch = []
        for p in parents:
            for i in range(n_each):
                pos += 1
                batch.append(
                    Finding(
                        round=round_,
                        unit=unit,
                        parent=p,
                        kind=kind,
                        number=str(i + 1),
                        title=f"{kind}问题{pos}：制度执行不严格，监督管理不到位",
                        position=pos,
                    )
                )
        return Finding.objects.bulk_create(batch, batch_size=1000)

    cats = nodes(FindingKind.CATEGORY, [None], 10)
    issues_per_cat = max(1, problems // 100)
    issues = nodes(FindingKind.ISSUE, cats, issues_per_cat)
    probs = nodes(FindingKind.PROBLEM, issues, max(1, problems // (10 * issues_per_cat)))
    today = timezone.localdate()
    weights = [w for _, w in STATUSES]
    measures = []
    for p in probs:
        for j in range(measures_per_problem):
            status = rng.choices([s for s, _ in STATUSES], weights)[0]
            measures.append(
                Measure(
                    round=round_,
                    unit=unit,
                    finding=p,
                    position=j + 1,
                    status=status,
                    text=f"一是建立健全相关制度，开展专项检查{j + 1}次；二是对相关责任人进行提醒谈话。",
                    person=rng.choice(people),
                    leader=leader,
                    department=rng.choice(depts),
                    deadline=today + dt.timedelta(days=rng.randint(-120, 240)),
                )
            )
    Measure.objects.bulk_create(measures, batch_size=2000)
    return {
        "round": round_,
        "clerk": clerk,
        "leader": leader,
        "supervisor": supervisor,
        "people": people,
        "problems": len(probs),
        "measures": len(measures),
    }


# --- a province on one PostgreSQL (``python bench/generate.py --province``) ----------------------
#
# 1 province → 16 cities → 100 counties → 1,500 bureaus (three departments each), 300 rounds,
# 1,000,000 measures and 5,000,000 progress entries, written with COPY (psycopg 3) in a dedicated
# database. Ids are given explicitly (paths need them) and the sequences are set afterwards; the
# big tables lose their foreign keys and secondary indexes during the load and get them back,
# validated, after it (what pg_restore does). The three users the benchmark logs in as are made
# by the services; the generated history has no audit rows (it was not done through the system).

#: The users ``bench/bench_province.py`` logs in as (made through the services).
PROVINCE_SUPERVISOR = "prov_supervisor"
PROVINCE_CLERK = "prov_clerk"
PROVINCE_LEADER = "prov_leader"
PROVINCE_PASSWORD = "Zg-Province-2025!bench"  # noqa: S105  (synthetic accounts of a bench database)

CITY_NAMES = ["东湖", "西岭", "南川", "北原", "临江", "青山", "白水", "金沙"]
CITY_NAMES += ["云台", "石门", "长乐", "安平", "永宁", "丰城", "清河", "凤阳"]
BUREAU_NAMES = [
    "财政局",
    "教育局",
    "卫生健康局",
    "自然资源局",
    "住房和城乡建设局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "市场监督管理局",
    "人力资源和社会保障局",
    "民政局",
    "生态环境局",
    "商务局",
    "文化和旅游局",
    "应急管理局",
]
DEPARTMENT_NAMES = ["办公室", "业务科", "财务科", "政策法规科", "监督检查科"]
CATEGORY_TITLES = [
    "贯彻落实党的路线方针政策和党中央决策部署方面",
    "落实全面从严治党战略部署方面",
    "落实新时代党的组织路线方面",
    "落实巡视巡察、审计等监督发现问题整改方面",
    "履行职能责任方面",
    "意识形态工作方面",
    "财务管理和资金使用方面",
    "工程项目和政府采购方面",
    "基层党组织建设方面",
    "作风建设和落实中央八项规定精神方面",
]
ISSUE_TITLES = [
    "学习贯彻不够深入，推动落实有差距",
    "主体责任落实不到位，传导压力层层递减",
    "监督管理不到位，制度执行不严格",
    "选人用人工作不够规范",
    "整改责任落实不力，部分问题反弹回潮",
    "资金管理不规范，存在违规支出问题",
]
PROBLEM_TITLES = [
    "{n}个项目未按规定履行招投标程序",
    "违规发放津补贴{n}万元",
    "{n}份合同未经法律审核即签订",
    "党组会议研究重大事项记录不完整，涉及{n}次会议",
    "干部档案审核发现{n}处信息不一致",
    "公务接待超标准{n}次",
    "固定资产账实不符，涉及{n}项",
    "专项资金滞留未拨付{n}万元",
]
MEASURE_TEXTS = [
    "一是建立健全相关制度，开展专项检查{n}次；二是对相关责任人进行提醒谈话。",
    "进一步加强学习，切实提高思想认识，{n}月底前召开专题民主生活会。",
    "修订《财务管理办法》，于{n}月底前完成并印发执行。",
    "对涉及的{n}个项目逐一核查，违规资金全部清退。",
    "建立台账，实行销号管理，每季度通报整改进展。",
]
PROGRESS_TEXTS = [
    "组织召开专题会议，逐条对照问题清单进行了深入剖析和整改落实。",
    "已完成相关制度修订，正在组织学习宣贯。",
    "已对涉及资金进行清理，追缴工作正在推进。",
    "已约谈相关责任人，完成整改台账更新。",
    "本月开展专项检查一次，未发现同类问题。",
    "已提交整改佐证材料，等待审核。",
    "召开党组会议专题研究整改工作，明确责任分工和完成时限。",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红"


#: Our own table names only (no input reaches it).
_SETVAL = "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT max(id) FROM {table}), 1))"


@dataclass(frozen=True)
class ProvinceSpec:
    """The sizes of the generated province (the issue's figures by default)."""

    cities: int = 16
    counties: int = 100
    units: int = 1500
    departments: int = 3
    rounds: int = 300
    measures: int = 1_000_000
    progress: int = 5_000_000
    seed: int = 13


def _copy(conn: Any, model: Any, attnames: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
    """COPY ``rows`` (values for ``attnames``) into ``model``'s table, every other column set to
    the field's default; a NOT NULL column without one is refused before anything is sent."""
    from psycopg.types.json import Jsonb

    meta = model._meta
    fields = {f.attname: f for f in meta.concrete_fields}
    unknown = set(attnames) - fields.keys()
    if unknown:
        raise ValueError(f"{meta.db_table}: no such fields {sorted(unknown)}")
    rest = [f for f in meta.concrete_fields if f.attname not in attnames]
    tail: list[Any] = []
    for f in rest:
        value = f.get_default()
        if value is None and not f.null:
            raise ValueError(f"{meta.db_table}.{f.column} is NOT NULL and has no default: give it")
        tail.append(Jsonb(value) if isinstance(value, dict | list) else value)
    columns = ", ".join(f'"{c}"' for c in [fields[a].column for a in attnames] + [f.column for f in rest])
    extra = tuple(tail)
    n = 0
    with conn.cursor() as cur, cur.copy(f'COPY "{meta.db_table}" ({columns}) FROM STDIN') as cp:
        for row in rows:
            cp.write_row(row + extra)
            n += 1
    conn.commit()
    return n


def _detach(conn: Any, table: str) -> list[str]:
    """Drop ``table``'s foreign keys and secondary indexes (not its primary key nor its unique
    constraints); returns the statements that put them back. Checking each of five million rows
    against three foreign keys one by one, and updating four indexes row by row, costs several
    times what building them once afterwards does."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        fks = cur.fetchall()
        cur.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT EXISTS ("
            "  SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid"
            "  AND c.contype IN ('p', 'u', 'x'))",
            [table],
        )
        indexes = cur.fetchall()
        for name, _ in fks:
            cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cur.execute(f"DROP INDEX {name}")
    conn.commit()
    return [d for _, d in indexes] + [f'ALTER TABLE "{table}" ADD CONSTRAINT "{n}" {d}' for n, d in fks]


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _create_database(url: str) -> None:
    """(Re)create the database of ``url`` empty; refuses the test suite's and the system's."""
    import psycopg
    from psycopg import sql

    info = psycopg.conninfo.conninfo_to_dict(url)
    name = str(info.get("dbname") or "")
    if name in ("", "test", "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to (re)create database {name!r}: use a dedicated one")
    admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def build_province(*, url: str, spec: ProvinceSpec = ProvinceSpec(), out: Any = print) -> dict[str, Any]:
    """Fill the (migrated, empty) database of ``url`` with a province; returns the timings (s)
    per step and the ids the benchmark needs."""
    import psycopg

    from zhenggai.accounts import services as accounts
    from zhenggai.ledger.models import (
        Closure,
        ClosureAction,
        MeasureKind,
        ProblemStatus,
        Progress,
        Review,
        ReviewDecision,
        Round,
        RoundKind,
    )
    from zhenggai.ledger.policy import FINISHED, OPEN
    from zhenggai.ledger.services._common import add_months
    from zhenggai.notify.models import Message
    from zhenggai.supervision.models import Extension, ExtensionStatus
    from zhenggai.units.models import Membership, Unit

    User = get_user_model()
    rng = random.Random(spec.seed)
    tz = timezone.get_current_timezone()
    now = timezone.now()
    today = timezone.localdate()
    timings: dict[str, float] = {}
    counts: dict[str, int] = {}
    conn = psycopg.connect(url)
    conn.execute("SET synchronous_commit = off")
    conn.execute("SET maintenance_work_mem = '1GB'")

    def step(name: str, model: Any, attnames: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
        t = time.perf_counter()
        counts[name] = _copy(conn, model, attnames, rows)
        timings[name] = time.perf_counter() - t
        out(f"  {name:<22} {counts[name]:>10,} rows  {timings[name]:7.1f} s")

    def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)

    # --- the unit tree --------------------------------------------------------------------------
    unit_rows: list[tuple[Any, ...]] = []
    next_unit = iter(range(1, 10**9))
    born = at(today - dt.timedelta(days=900))

    def unit(name: str, kind: str, parent: tuple[int, str] | None) -> tuple[int, str]:
        pk = next(next_unit)
        path = f"{parent[1] if parent else '/'}{pk}/"
        unit_rows.append((pk, name, kind, path, born, parent[0] if parent else None))
        return pk, path

    province = unit("某省", UnitKind.COMMITTEE, None)
    cities = [
        unit(f"{CITY_NAMES[c % len(CITY_NAMES)]}市{c // len(CITY_NAMES) or ''}", UnitKind.COMMITTEE, province)
        for c in range(spec.cities)
    ]
    counties: list[tuple[int, str]] = []
    county_city: list[int] = []
    for k in range(spec.counties):
        c = k % spec.cities
        counties.append(
            unit(
                f"{CITY_NAMES[c % len(CITY_NAMES)]}市第{k // spec.cities + 1}县",
                UnitKind.COMMITTEE,
                cities[c],
            )
        )
        county_city.append(c)
    bureaus: list[tuple[int, str]] = []
    bureau_county: list[int] = []
    depts: list[list[int]] = []
    for b in range(spec.units):
        k = b % spec.counties
        nth = b // spec.counties
        name = BUREAU_NAMES[nth % len(BUREAU_NAMES)] + (
            str(nth // len(BUREAU_NAMES) + 1) if nth >= 15 else ""
        )
        bureaus.append(unit(name, UnitKind.BUREAU, counties[k]))
        bureau_county.append(k)
    for b in range(spec.units):
        depts.append(
            [
                unit(
                    DEPARTMENT_NAMES[d % len(DEPARTMENT_NAMES)] + ("" if d < 5 else str(d)),
                    UnitKind.DEPARTMENT,
                    bureaus[b],
                )[0]
                for d in range(spec.departments)
            ]
        )
    out("generating:")
    step("units_unit", Unit, ["id", "name", "kind", "path", "created_at", "parent_id"], unit_rows)

    # --- people: per bureau a clerk, its head, two responsible leaders and eight people --------
    user_rows: list[tuple[Any, ...]] = []
    member_rows: list[tuple[Any, ...]] = []
    next_user = iter(range(1, 10**9))

    def person(username: str, unit_id: int, role: str) -> int:
        pk = next(next_user)
        user_rows.append((pk, "!generated", username, _person_name(rng), born))
        member_rows.append((len(member_rows) + 1, pk, unit_id, role))
        return pk

    supervisor_of_county = [
        person(f"sup_k{k}", counties[k][0], Role.SUPERVISOR) for k in range(spec.counties)
    ]
    for c in range(spec.cities):
        person(f"sup_c{c}", cities[c][0], Role.SUPERVISOR)
    clerk_of: list[int] = []
    head_of: list[int] = []
    leaders_of: list[list[int]] = []
    people_of: list[list[int]] = []
    for b in range(spec.units):
        uid = bureaus[b][0]
        clerk_of.append(person(f"u{b}_clerk", uid, Role.CLERK))
        head_of.append(person(f"u{b}_head", uid, Role.UNIT_LEADER))
        leaders_of.append([person(f"u{b}_leader{i}", uid, Role.RESPONSIBLE_LEADER) for i in range(2)])
        people_of.append([person(f"u{b}_p{i}", uid, Role.RESPONSIBLE_PERSON) for i in range(8)])
    step("accounts_user", User, ["id", "password", "username", "display_name", "date_joined"], user_rows)
    step("units_membership", Membership, ["id", "user_id", "unit_id", "role"], member_rows)
    with conn.cursor() as cur:
        for table in ("units_unit", "accounts_user", "units_membership"):
            cur.execute(_SETVAL.format(table=table))
    conn.commit()

    # --- rounds: 300 bureaus inspected, the oldest two years ago ----------------------------------
    inspected = rng.sample(range(spec.units), spec.rounds)
    raw = [rng.uniform(0.5, 1.5) for _ in range(spec.rounds)]
    sizes = [max(1, int(spec.measures * x / sum(raw))) for x in raw]
    sizes[-1] += spec.measures - sum(sizes)
    # The clerk's round: the one of median size (a typical round, not the largest).
    mine = sorted(range(spec.rounds), key=sizes.__getitem__)[spec.rounds // 2]
    my_bureau = inspected[mine]

    # The users the benchmark logs in as: real accounts, made and granted through the services.
    def real_user(username: str, display: str, unit_id: int, role: str) -> Any:
        u = accounts.user_create(
            actor=None, username=username, display_name=display, password=PROVINCE_PASSWORD
        )
        accounts.password_change(user=u, password=PROVINCE_PASSWORD + "x")
        accounts.unit_role_grant(actor=None, user=u, unit=Unit.objects.get(pk=unit_id), role=role)
        return u

    t = time.perf_counter()
    supervisor = real_user(PROVINCE_SUPERVISOR, "省巡察办督办员", province[0], Role.SUPERVISOR)
    clerk = real_user(PROVINCE_CLERK, "县局整改办", bureaus[my_bureau][0], Role.CLERK)
    leader = real_user(PROVINCE_LEADER, "县局主要负责人", bureaus[my_bureau][0], Role.UNIT_LEADER)
    timings["service users"] = time.perf_counter() - t
    out(f"  {'3 users (services)':<22} {'':>10}       {timings['service users']:7.1f} s")

    span = 690
    round_rows: list[tuple[Any, ...]] = []
    round_fb: list[dt.date] = []
    first_round = 1
    for i, b in enumerate(inspected):
        fb = today - dt.timedelta(days=720 - span * i // max(1, spec.rounds - 1))
        round_fb.append(fb)
        kind = rng.choices(RoundKind.values, [80, 10, 6, 4])[0]
        round_rows.append(
            (
                first_round + i,
                bureaus[b][0],
                f"{fb.year}年第{(fb.month - 1) // 3 + 1}轮巡察整改（{unit_rows[bureaus[b][0] - 1][1]}）",
                kind,
                f"第{i % 9 + 1}巡察组",
                fb - dt.timedelta(days=90),
                fb - dt.timedelta(days=45),
                fb,
                add_months(fb, 1),
                add_months(fb, 2),
                i % 5 == 0,
                clerk.pk if i == mine else clerk_of[b],
                at(fb, 10),
            )
        )
    step(
        "ledger_round",
        Round,
        [
            "id",
            "unit_id",
            "title",
            "kind",
            "inspecting_group",
            "period_start",
            "period_end",
            "feedback_date",
            "plan_due",
            "report_due",
            "leader_prereview",
            "created_by_id",
            "created_at",
        ],
        round_rows,
    )

    # --- the findings trees, then the measures -----------------------------------------------
    detached: dict[str, list[str]] = {}
    for table in (
        "ledger_finding",
        "ledger_measure",
        "ledger_progress",
        "ledger_review",
        "ledger_closure",
        "supervision_extension",
        "notify_message",
    ):
        detached[table] = _detach(conn, table)

    finding_rows: list[tuple[Any, ...]] = []
    closure_rows: list[tuple[Any, ...]] = []
    problems: list[list[tuple[int, bool, dt.datetime | None]]] = []  # per round: (id, closed, closed_at)
    next_finding = iter(range(1, 10**9))
    for i, b in enumerate(inspected):
        rid, uid, fb = first_round + i, bureaus[b][0], round_fb[i]
        age = (today - fb).days / 720
        n_problems = max(1, round(sizes[i] / 5))
        n_cats = min(10, n_problems)
        n_issues = max(1, round(n_problems / n_cats / 8))
        leaves = n_cats * n_issues
        pos = 0
        mine_problems: list[tuple[int, bool, dt.datetime | None]] = []
        done = 0
        for c in range(n_cats):
            pos += 1
            cat = next(next_finding)
            finding_rows.append(
                (
                    cat,
                    rid,
                    uid,
                    None,
                    "category",
                    "一二三四五六七八九十"[c],
                    CATEGORY_TITLES[c],
                    "",
                    pos,
                    "open",
                    None,
                    None,
                )
            )
            for s in range(n_issues):
                pos += 1
                issue = next(next_finding)
                finding_rows.append(
                    (
                        issue,
                        rid,
                        uid,
                        cat,
                        "issue",
                        f"（{s + 1}）",
                        ISSUE_TITLES[(c + s) % 6],
                        "",
                        pos,
                        "open",
                        None,
                        None,
                    )
                )
                leaf = c * n_issues + s
                here = n_problems * (leaf + 1) // leaves - n_problems * leaf // leaves
                for p in range(here):
                    pos += 1
                    done += 1
                    pk = next(next_finding)
                    closed = rng.random() < 0.45 * age
                    closed_at = (
                        at(fb + dt.timedelta(days=rng.randint(60, max(61, (today - fb).days))), 15)
                        if closed
                        else None
                    )
                    if closed_at is not None and closed_at > now:
                        closed_at = now - dt.timedelta(hours=1)
                    title = PROBLEM_TITLES[(done + c) % len(PROBLEM_TITLES)].format(n=rng.randint(2, 30))
                    finding_rows.append(
                        (
                            pk,
                            rid,
                            uid,
                            issue,
                            "problem",
                            f"{p + 1}.",
                            title,
                            f"经查，{title}，相关责任人未及时履行审核把关职责。",
                            pos,
                            ProblemStatus.CLOSED if closed else ProblemStatus.OPEN,
                            closed_at,
                            supervisor_of_county[bureau_county[b]] if closed else None,
                        )
                    )
                    mine_problems.append((pk, closed, closed_at))
                    if closed:
                        closure_rows.append(
                            (
                                len(closure_rows) + 1,
                                pk,
                                uid,
                                supervisor_of_county[bureau_county[b]],
                                ClosureAction.CLOSE,
                                "整改措施全部完成，佐证材料齐全，同意销号。",
                                1,
                                closed_at,
                            )
                        )
        problems.append(mine_problems)
    step(
        "ledger_finding",
        Finding,
        [
            "id",
            "round_id",
            "unit_id",
            "parent_id",
            "kind",
            "number",
            "title",
            "description",
            "position",
            "status",
            "closed_at",
            "closed_by_id",
        ],
        finding_rows,
    )
    del finding_rows
    step(
        "ledger_closure",
        Closure,
        ["id", "finding_id", "unit_id", "actor_id", "action", "reason", "cycle", "created_at"],
        closure_rows,
    )
    del closure_rows

    # Per measure, what the progress, reviews and messages need (index = id - 1).
    m_unit: list[int] = []
    m_person: list[int] = []
    m_start: list[int] = []  # seconds since ``epoch``: when it was assigned
    m_end: list[int] = []  # … and when its last progress may be (its completion, or now)
    m_status: list[str] = []
    epoch = at(today - dt.timedelta(days=800))
    now_s = int((now - epoch).total_seconds())
    review_rows: list[tuple[Any, ...]] = []
    extension_rows: list[tuple[Any, ...]] = []
    message_rows: list[tuple[Any, ...]] = []
    statuses = list(MeasureStatus.values)
    kinds = [MeasureKind.IMMEDIATE, MeasureKind.DEADLINE, MeasureKind.LONG_TERM]
    finished = set(FINISHED)

    def measure_rows() -> Iterable[tuple[Any, ...]]:
        mid = 0
        for i, b in enumerate(inspected):
            rid, uid, fb = first_round + i, bureaus[b][0], round_fb[i]
            age = (today - fb).days / 720
            assigned = at(fb + dt.timedelta(days=10))
            created = at(fb, 11)
            weights = {
                MeasureStatus.NOT_STARTED: 3 + 20 * (1 - age),
                MeasureStatus.IN_PROGRESS: 40,
                MeasureStatus.LEADER_REVIEW: 2 if i % 5 == 0 else 0,
                MeasureStatus.PENDING_REVIEW: 8,
                MeasureStatus.DONE: 20 + 40 * age,
                MeasureStatus.STAGE_DONE: 5,
            }
            w = [weights[s] for s in statuses]
            probs = problems[i]
            counts_ = [1] * len(probs)
            for _ in range(sizes[i] - len(probs)):
                counts_[rng.randrange(len(probs))] += 1
            people, leaders, dps = people_of[b], leaders_of[b], depts[b]
            head = leader.pk if b == my_bureau else head_of[b]
            for (fid, closed, closed_at), n in zip(probs, counts_, strict=True):
                for j in range(n):
                    mid += 1
                    kind = rng.choices(kinds, (15, 70, 15))[0]
                    if closed:
                        status = (
                            MeasureStatus.STAGE_DONE if kind == MeasureKind.LONG_TERM else MeasureStatus.DONE
                        )
                    else:
                        status = rng.choices(statuses, w)[0]
                        if status == MeasureStatus.STAGE_DONE and kind != MeasureKind.LONG_TERM:
                            status = MeasureStatus.DONE
                    if kind == MeasureKind.IMMEDIATE:
                        deadline = fb + dt.timedelta(days=30)
                    else:
                        deadline = max(
                            fb + dt.timedelta(days=45), today + dt.timedelta(days=rng.randint(-180, 240))
                        )
                    pid = rng.choice(people)
                    original = None
                    if rng.random() < 0.025:
                        if status in OPEN and rng.random() < 0.5:
                            extension_rows.append(
                                (
                                    len(extension_rows) + 1,
                                    mid,
                                    rid,
                                    uid,
                                    pid,
                                    "需要协调相关部门，申请延期。",
                                    deadline,
                                    deadline + dt.timedelta(days=60),
                                    ExtensionStatus.PENDING,
                                    None,
                                    None,
                                    now - dt.timedelta(days=3),
                                )
                            )
                        else:
                            original = deadline - dt.timedelta(days=rng.choice((30, 60, 90)))
                            decided = min(now, max(assigned + dt.timedelta(days=1), at(original, 16)))
                            extension_rows.append(
                                (
                                    len(extension_rows) + 1,
                                    mid,
                                    rid,
                                    uid,
                                    pid,
                                    "需要协调相关部门，申请延期。",
                                    original,
                                    deadline,
                                    ExtensionStatus.GRANTED,
                                    head,
                                    decided,
                                    decided - dt.timedelta(days=2),
                                )
                            )
                    start = int((assigned - epoch).total_seconds())
                    completed = None
                    if status in finished:
                        if closed_at is not None:
                            completed = closed_at - dt.timedelta(days=rng.randint(1, 30))
                        else:
                            last = min(now_s, int((at(deadline, 17) - epoch).total_seconds()) + 86400 * 20)
                            completed = epoch + dt.timedelta(
                                seconds=rng.randint(start + 3600, max(start + 7200, last))
                            )
                        if completed <= assigned:
                            completed = assigned + dt.timedelta(hours=2)
                        completed = min(completed, now - dt.timedelta(minutes=5))
                        review_rows.append(
                            (
                                mid,
                                uid,
                                head,
                                ReviewDecision.APPROVE_STAGE
                                if status == MeasureStatus.STAGE_DONE
                                else ReviewDecision.APPROVE,
                                "",
                                completed + dt.timedelta(hours=1),
                            )
                        )
                        end = int((completed - epoch).total_seconds())
                    elif status in (MeasureStatus.PENDING_REVIEW, MeasureStatus.LEADER_REVIEW):
                        end = max(start + 3600, now_s - 86400 * rng.randint(1, 20))
                        message_rows.append(
                            (
                                head if status == MeasureStatus.PENDING_REVIEW else leaders[0],
                                uid,
                                "review.waiting",
                                mid,
                                "待审核：整改措施已提交",
                                "",
                                epoch + dt.timedelta(seconds=end),
                                None,
                            )
                        )
                    else:
                        end = now_s
                    if status == MeasureStatus.IN_PROGRESS and rng.random() < 0.15:
                        back = epoch + dt.timedelta(seconds=rng.randint(start, max(start + 1, end)))
                        review_rows.append((mid, uid, head, ReviewDecision.RETURN, "材料不全，请补充", back))
                        message_rows.append(
                            (
                                pid,
                                uid,
                                "measure.returned",
                                mid,
                                "整改措施被退回",
                                "",
                                back,
                                back + dt.timedelta(hours=5),
                            )
                        )
                    if status in OPEN and deadline < today:
                        late = (today - deadline).days
                        level = "black" if late > 30 else "red"
                        when = at(today - dt.timedelta(days=1), 8)
                        message_rows.append((pid, uid, "reminder", mid, "整改措施已逾期", level, when, None))
                        if late > 90 and rng.random() < 0.02:
                            message_rows.append(
                                (supervisor.pk, uid, "reminder", mid, "整改措施严重逾期", level, when, None)
                            )
                        if b == my_bureau:
                            message_rows.append(
                                (clerk.pk, uid, "reminder", mid, "本单位整改措施已逾期", level, when, None)
                            )
                    m_unit.append(uid)
                    m_person.append(pid)
                    m_start.append(start)
                    m_end.append(end)
                    m_status.append(status)
                    yield (
                        mid,
                        rid,
                        uid,
                        fid,
                        j + 1,
                        MEASURE_TEXTS[(mid + j) % len(MEASURE_TEXTS)].format(n=j + 2),
                        kind,
                        rng.choice(leaders),
                        rng.choice(dps),
                        pid,
                        deadline,
                        original,
                        assigned,
                        status,
                        completed,
                        timezone.localdate(completed, tz) if completed else None,
                        created,
                        completed or assigned,
                    )

    step(
        "ledger_measure",
        Measure,
        [
            "id",
            "round_id",
            "unit_id",
            "finding_id",
            "position",
            "text",
            "kind",
            "leader_id",
            "department_id",
            "person_id",
            "deadline",
            "original_deadline",
            "assigned_at",
            "status",
            "completed_at",
            "completed_on",
            "created_at",
            "updated_at",
        ],
        measure_rows(),
    )
    problems.clear()

    # --- progress: five million entries, in the order they were written (ids follow time) -------
    t = time.perf_counter()
    eligible = [i for i, s in enumerate(m_status) if s != MeasureStatus.NOT_STARTED]
    mean = max(1, spec.progress // max(1, len(eligible)))
    per = {i: rng.randint(1, 2 * mean - 1) for i in eligible}
    diff = spec.progress - sum(per.values())
    while diff:
        i = rng.choice(eligible)
        if diff > 0:
            per[i] += 1
            diff -= 1
        elif per[i] > 1:
            per[i] -= 1
            diff += 1
    bits = max(1, len(m_status).bit_length())
    keys: list[int] = []
    for i, k in per.items():
        s, e = m_start[i], m_end[i]
        stride = max(1, (e - s) // (k + 1))
        keys.extend(((s + stride * (n + 1) - rng.randrange(stride // 2 + 1)) << bits) | i for n in range(k))
    keys.sort()
    del per
    timings["progress (plan)"] = time.perf_counter() - t
    out(f"  {'progress (planned)':<22} {len(keys):>10,} keys  {timings['progress (plan)']:7.1f} s")
    mask = (1 << bits) - 1

    def progress_rows() -> Iterable[tuple[Any, ...]]:
        texts = PROGRESS_TEXTS
        for pk, key in enumerate(keys, 1):
            i = key & mask
            yield (
                pk,
                i + 1,
                m_unit[i],
                m_person[i],
                texts[key % 7],
                epoch + dt.timedelta(seconds=key >> bits),
            )

    step(
        "ledger_progress",
        Progress,
        ["id", "measure_id", "unit_id", "author_id", "text", "created_at"],
        progress_rows(),
    )
    keys.clear()

    review_rows.sort(key=lambda r: r[-1])
    step(
        "ledger_review",
        Review,
        ["id", "measure_id", "unit_id", "reviewer_id", "decision", "reason", "created_at"],
        ((pk, *r) for pk, r in enumerate(review_rows, 1)),
    )
    step(
        "supervision_extension",
        Extension,
        [
            "id",
            "measure_id",
            "round_id",
            "unit_id",
            "requested_by_id",
            "reason",
            "old_deadline",
            "new_deadline",
            "status",
            "decided_by_id",
            "decided_at",
            "created_at",
        ],
        extension_rows,
    )
    # One assignment message per person and round, then the rest in time order.
    assigned_msgs = {}
    for i, (u, p) in enumerate(zip(m_unit, m_person, strict=True)):
        assigned_msgs.setdefault((u, p), [i + 1, 0])[1] += 1
    for (u, p), (first, n) in assigned_msgs.items():
        message_rows.append(
            (
                p,
                u,
                "measure.assigned",
                first,
                f"新的整改任务 {n} 项",
                "",
                epoch + dt.timedelta(seconds=m_start[first - 1]),
                epoch + dt.timedelta(seconds=m_start[first - 1] + 7200),
            )
        )
    message_rows.sort(key=lambda r: r[6])
    step(
        "notify_message",
        Message,
        [
            "id",
            "recipient_id",
            "unit_id",
            "kind",
            "topic",
            "subject",
            "url",
            "level",
            "created_at",
            "read_at",
        ],
        (
            (pk, r[0], r[1], r[2], f"measure:{r[3]}", r[4], f"/measures/{r[3]}/", r[5], r[6], r[7])
            for pk, r in enumerate(message_rows, 1)
        ),
    )

    # --- constraints and indexes back, sequences, statistics ---------------------------------
    out("rebuilding indexes and foreign keys:")
    for table, statements in detached.items():
        t = time.perf_counter()
        with conn.cursor() as cur:
            for s in statements:
                cur.execute(s)
        conn.commit()
        took = timings[f"{table} (indexes, keys)"] = time.perf_counter() - t
        out(f"  {table:<22} {len(statements):>3} indexes and keys {took:7.1f} s")
        conn.execute(_SETVAL.format(table=table))
    conn.execute(
        "SELECT setval(pg_get_serial_sequence('ledger_round', 'id'), (SELECT max(id) FROM ledger_round))"
    )
    conn.commit()
    conn.autocommit = True
    t = time.perf_counter()
    conn.execute("VACUUM (ANALYZE)")
    timings["vacuum analyze"] = time.perf_counter() - t
    out(f"  vacuum analyze {timings['vacuum analyze']:.1f} s")
    conn.close()
    my_round = first_round + mine
    return {
        "timings": timings,
        "counts": counts,
        "round": my_round,
        "clerk": clerk.pk,
        "supervisor": supervisor.pk,
    }


def main(argv: list[str] | None = None) -> None:
    """``python bench/generate.py --province [--database-url URL] [--measures N …]``."""
    args = _parse(argv)
    if not args.province:
        raise SystemExit("nothing to do: the only mode run from the command line is --province")
    from django.core.management import call_command
    from django.db import connection

    spec = ProvinceSpec(
        cities=args.cities,
        counties=args.counties,
        units=args.units,
        rounds=args.rounds,
        measures=args.measures,
        progress=args.progress,
        seed=args.seed,
    )
    if args.if_missing and _province_there(args.database_url):
        print(f"the province is already in {args.database_url}: kept (run without --if-missing to rebuild)")
        return
    load = _load()
    print(f"province into {args.database_url}: {spec}\nbefore: {load}")
    total = time.perf_counter()
    t = time.perf_counter()
    _create_database(args.database_url)
    call_command("migrate", interactive=False, verbosity=0)
    connection.close()
    print(f"  create + migrate {time.perf_counter() - t:.1f} s")
    result = build_province(url=args.database_url, spec=spec)
    elapsed = time.perf_counter() - total
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database())),"
            " pg_database_size(current_database())"
        )
        size_text, _ = cur.fetchone()
        cur.execute(
            "SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class WHERE relkind = 'r'"
            " AND relnamespace = 'public'::regnamespace ORDER BY pg_total_relation_size(oid) DESC LIMIT 8"
        )
        largest = cur.fetchall()
    load = _load()
    print(f"after: {load}")
    print("largest tables: " + ", ".join(f"{n} {s}" for n, s in largest))
    users = f"{PROVINCE_CLERK} / {PROVINCE_SUPERVISOR} / {PROVINCE_LEADER}"
    print(f"clerk's round: {result['round']}; log in as {users}")
    print(f"generate --province: {elapsed / 60:.1f} min total, database {size_text}")


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def _province_there(url: str) -> bool:
    """Whether ``url``'s database exists and holds a province (its supervisor's account)."""
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT 1 FROM accounts_user WHERE username = %s", [PROVINCE_SUPERVISOR]
            ).fetchone()
    except psycopg.Error:
        return False
    return row is not None


def _parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Generate synthetic ledgers for the benchmarks.")
    p.add_argument(
        "--province", action="store_true", help="a province on PostgreSQL (drops and recreates the database)"
    )
    p.add_argument("--database-url", default=os.environ.get("PROVINCE_DATABASE_URL", PROVINCE_URL))
    p.add_argument("--if-missing", action="store_true", help="keep a province already in the database")
    spec = ProvinceSpec()
    for name in ("cities", "counties", "units", "rounds", "measures", "progress", "seed"):
        p.add_argument(f"--{name}", type=int, default=getattr(spec, name))
    return p.parse_args(argv)


if __name__ == "__main__":
    main()


# --- the table grows, the round does not (``bench/bench_http.py``) --------------------------------


def build_round_bulk(
    *, rounds: int = 10, problems: int = 2000, measures_per_problem: int = 5, seed: int = 7
) -> dict[str, Any]:
    """``build_round`` (the same round, users and figures for the same seed), then ``rounds - 1``
    more rounds of the same size, each in a sibling bureau of the same county with its own
    clerk, leader, people and departments: the measures table grows ``rounds`` times, what the
    first round's leader sees does not. Findings and measures go in with ``bulk_create``; 100,000
    measures take well under a minute."""
    first = build_round(problems=problems, measures_per_problem=measures_per_problem, seed=seed)
    county = first["round"].unit.parent
    User = get_user_model()
    today = timezone.localdate()
    weights = [w for _, w in STATUSES]
    total = first["measures"]
    for k in range(1, rounds):
        rng = random.Random(seed * 1000 + k)
        unit = unit_create(actor=None, name=f"某某局{k}", parent=county, kind=UnitKind.BUREAU)
        depts = [
            unit_create(actor=None, name=f"{k}局第{i}科", parent=unit, kind=UnitKind.DEPARTMENT)
            for i in range(10)
        ]

        def user(name: str, where: Any, role: str) -> Any:
            u = User.objects.create(username=name, display_name=name)
            membership_grant(actor=None, user=u, unit=where, role=role)
            return u

        clerk = user(f"bench{k}_clerk", unit, Role.CLERK)
        leader = user(f"bench{k}_leader", unit, Role.UNIT_LEADER)
        people = [user(f"bench{k}_p{i}", unit, Role.RESPONSIBLE_PERSON) for i in range(20)]
        round_ = services.round_create(
            actor=clerk, unit=unit, title=f"基准测试轮次{k}", feedback_date=dt.date(2026, 1, 10)
        )
        pos = 0

        def nodes(kind: str, parents: list[Finding | None], n_each: int) -> list[Finding]:
            nonlocal pos
            batch = []
            for p in parents:
                for i in range(n_each):
                    pos += 1
                    batch.append(
                        Finding(
                            round=round_,  # noqa: B023  (used at once, in this iteration)
                            unit=unit,  # noqa: B023
                            parent=p,
                            kind=kind,
                            number=str(i + 1),
                            title=f"{kind}问题{pos}：制度执行不严格，监督管理不到位",
                            position=pos,
                        )
                    )
            return Finding.objects.bulk_create(batch, batch_size=1000)

        cats = nodes(FindingKind.CATEGORY, [None], 10)
        issues_per_cat = max(1, problems // 100)
        issues = nodes(FindingKind.ISSUE, cats, issues_per_cat)
        probs = nodes(FindingKind.PROBLEM, issues, max(1, problems // (10 * issues_per_cat)))
        measures = [
            Measure(
                round=round_,
                unit=unit,
                finding=p,
                position=j + 1,
                status=rng.choices([s for s, _ in STATUSES], weights)[0],
                text=f"一是建立健全相关制度，开展专项检查{j + 1}次；二是对相关责任人进行提醒谈话。",
                person=rng.choice(people),
                leader=leader,
                department=rng.choice(depts),
                deadline=today + dt.timedelta(days=rng.randint(-120, 240)),
            )
            for p in probs
            for j in range(measures_per_problem)
        ]
        Measure.objects.bulk_create(measures, batch_size=2000)
        total += len(measures)
    return {**first, "rounds": rounds, "measures_total": total}
