"""Benchmark of the 整改台账 export: a round of 100,000 measures, time and memory.

Builds rounds of 10,000 and 100,000 measures (built like ``bench/generate.py``
builds them, with progress entries on 40 % of the measures) in a throw-away
SQLite database (or the PostgreSQL of DATABASE_URL), then, each in a fresh
process so that the peaks are its own:

- ``export``: our exporter (``export_round``: the overview query, the streamed
  measure query, the statistics sheet, styles, the hidden sheet), wall time and
  ``ru_maxrss``;
- ``export (tracemalloc)``: the same under tracemalloc, for the peak of Python
  allocations (slower: its time is not compared);
- ``bare, same cells``: a bare openpyxl write-only loop writing the very values our
  export writes (read beforehand into memory, not timed), each as a WriteOnlyCell
  with a shared style, as any styled write-only export must;
- ``bare, plain values``: the same values appended as plain values (no styles at all);
- ``import dry run``: the exported workbook read back unedited (``import_workbook``
  with ``dry_run=True``), which must find no change;
- ``import apply``: on rounds of 100 and 1,000 measures (BENCH_APPLY_SIZES), the
  exported workbook with every row edited as a clerk edits it (each deadline, every
  other person, a progress text on every third row that may take one) confirmed
  (``import_workbook`` with ``dry_run=False``): time and every query it makes.

Each timed run is repeated (BENCH_REPEAT, default 3) and the best time kept.
Run: ``.venv/bin/python bench/bench_xlsx.py`` (BENCH_SIZES=10000,100000 by default).
"""

from __future__ import annotations

import gc
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: Each timed run is repeated and the best time kept (the machine may be busy with other work).
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
#: Rounds whose every row is edited and applied (``import apply``).
APPLY_SIZES = [int(s) for s in os.environ.get("BENCH_APPLY_SIZES", "100,1000").split(",") if s]
sys.path.insert(0, str(ROOT))


def _setup_django(folder: str) -> None:
    os.environ.setdefault("ZHENGGAI_DATA_DIR", folder)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenggai.settings")
    import django

    django.setup()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- building the rounds --------------------------------------------------------------------------


def build(size: int, tag: str) -> int:
    """A round of ``size`` measures (5 per problem, 10 problems per issue (fewer below 1,000
    measures), 10 categories)."""
    import datetime as dt

    from bench.generate import STATUSES
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from zhenggai.ledger import services
    from zhenggai.ledger.models import Finding, FindingKind, Measure, Progress
    from zhenggai.units.models import Role, UnitKind
    from zhenggai.units.services import membership_grant, unit_create

    rng = random.Random(size)
    User = get_user_model()
    county = unit_create(actor=None, name=f"县委{tag}", parent=None, kind=UnitKind.COMMITTEE)
    unit = unit_create(actor=None, name="某某局", parent=county, kind=UnitKind.BUREAU)
    depts = [
        unit_create(actor=None, name=f"第{i}科", parent=unit, kind=UnitKind.DEPARTMENT) for i in range(10)
    ]

    def user(name: str, role: str) -> Any:
        u = User.objects.create(username=f"{tag}_{name}", display_name=f"{name}{tag}")
        membership_grant(actor=None, user=u, unit=unit, role=role)
        return u

    clerk = user("clerk", Role.CLERK)
    leader = user("leader", Role.UNIT_LEADER)
    people = [user(f"p{i}", Role.RESPONSIBLE_PERSON) for i in range(20)]
    round_ = services.round_create(
        actor=clerk, unit=unit, title=f"基准测试轮次{tag}", feedback_date=dt.date(2026, 1, 10)
    )
    problems = size // 5
    pos = 0

    def nodes(kind: str, parents: list[Any], n_each: int) -> list[Any]:
        nonlocal pos
        batch = []
        for p in parents:
            for i in range(n_each):
                pos += 1
                batch.append(
                    Finding(
                        round=round_, unit=unit, parent=p, kind=kind, number=str(i + 1), position=pos,
                        title=f"{kind}问题{pos}：制度执行不严格，监督管理不到位",
                    )
                )  # fmt: skip
        return Finding.objects.bulk_create(batch, batch_size=2000)

    cats = nodes(FindingKind.CATEGORY, [None], 10)
    per_category = max(1, problems // 100)
    issues = nodes(FindingKind.ISSUE, cats, per_category)
    probs = nodes(FindingKind.PROBLEM, issues, max(1, problems // (10 * per_category)))
    today = timezone.localdate()
    statuses, weights = [s for s, _ in STATUSES], [w for _, w in STATUSES]
    batch: list[Any] = []
    for p in probs:
        for j in range(5):
            batch.append(
                Measure(
                    round=round_, unit=unit, finding=p, position=j + 1,
                    status=rng.choices(statuses, weights)[0],
                    text=f"一是建立健全相关制度，开展专项检查{j + 1}次；二是对相关责任人进行提醒谈话。",
                    person=rng.choice(people), leader=leader, department=rng.choice(depts),
                    deadline=today + dt.timedelta(days=rng.randint(-120, 240)),
                )
            )  # fmt: skip
        if len(batch) >= 5000:
            Measure.objects.bulk_create(batch, batch_size=5000)
            batch = []
    Measure.objects.bulk_create(batch, batch_size=5000)
    ids = list(Measure.objects.filter(round=round_).values_list("pk", "person_id"))
    progress = [
        Progress(
            measure_id=pk, unit=unit, author_id=person, text=f"已开展专项检查，发现问题{pk % 7}个，已整改。"
        )
        for pk, person in ids
        if rng.random() < 0.4
    ]
    Progress.objects.bulk_create(progress, batch_size=5000)
    return round_.pk


# --- the phases, each in its own process -------------------------------------------------------------


def _round_and_user(round_id: int) -> tuple[Any, Any]:
    from zhenggai.ledger.models import Round
    from zhenggai.units.models import Membership, Role

    round_ = Round.objects.select_related("unit").get(pk=round_id)
    clerk = Membership.objects.select_related("user").get(unit=round_.unit, role=Role.CLERK).user
    return round_, clerk


def phase_export(round_id: int, out: str, traced: bool) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhenggai.reports.xlsx_export import export_round

    round_, clerk = _round_and_user(round_id)
    base_rss = _rss_mb()
    if traced:
        tracemalloc.start()
    times = []
    for _ in range(1 if traced else REPEAT):
        t = time.perf_counter()
        with CaptureQueriesContext(connection) as q:
            rows = export_round(user=clerk, round=round_, target=out)
        times.append(time.perf_counter() - t)
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else None
    return {
        "rows": rows,
        "seconds": min(times),
        "queries": len(q.captured_queries),
        "peak_mb": peak,
        "rss_mb": _rss_mb(),
        "rss_before_mb": base_rss,
        "bytes": os.path.getsize(out),
    }


def phase_bare(round_id: int, out: str, styled: bool) -> dict[str, Any]:
    """Write the very cells our export writes with a bare write-only loop (values read beforehand)."""
    from zhenggai.reports.xlsx_export import LedgerExporter, finding_titles

    round_, clerk = _round_and_user(round_id)
    exporter = LedgerExporter(user=clerk, round=round_)
    exporter.problems = finding_titles(round_)  # what the rows look up, not timed
    values = [tuple(r.values) for r in exporter.rows()]
    gc.collect()
    gc.freeze()  # the prepared values are not the loop's garbage to collect
    times = []
    for _ in range(REPEAT):
        t = time.perf_counter()
        _bare_loop(values, out, styled)
        times.append(time.perf_counter() - t)
    return {"rows": len(values), "seconds": min(times), "rss_mb": _rss_mb(), "bytes": os.path.getsize(out)}


def _bare_loop(values: list[tuple[Any, ...]], out: str, styled: bool) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, Side

    from zhenggai.reports.xlsx import HEADERS

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("整改台账")
    ws.append(list(HEADERS))
    if styled:
        side = Side(style="thin")
        template = WriteOnlyCell(ws)
        template.font = Font(name="宋体", size=10)
        template.border = Border(left=side, right=side, top=side, bottom=side)
        template.alignment = Alignment(vertical="top", wrap_text=True)
        style = template._style
        for row in values:
            cells = []
            for v in row:
                c = WriteOnlyCell(ws, v)
                c._style = style
                cells.append(c)
            ws.append(cells)
    else:
        for row in values:
            ws.append(row)
    wb.save(out)


def phase_dry_run(round_id: int, path: str) -> dict[str, Any]:
    """Read the exported workbook back (unedited): the dry run a clerk's upload starts with."""
    from zhenggai.reports.xlsx_import import import_workbook

    round_, clerk = _round_and_user(round_id)
    data = Path(path).read_bytes()
    t = time.perf_counter()
    report = import_workbook(actor=clerk, round=round_, data=data, dry_run=True)
    seconds = time.perf_counter() - t
    assert not report.changes and not report.errors, (report.changes[:3], report.errors[:3])
    return {"rows": report.rows, "seconds": seconds, "rss_mb": _rss_mb(), "bytes": len(data)}


def phase_apply(round_id: int, path: str) -> dict[str, Any]:
    """Every row of the round's workbook edited by the clerk, then the import confirmed."""
    import datetime as dt
    import io

    from django.db import connection
    from openpyxl import load_workbook

    from zhenggai.reports.xlsx import INDEX
    from zhenggai.reports.xlsx_export import export_round
    from zhenggai.reports.xlsx_import import import_workbook

    round_, clerk = _round_and_user(round_id)
    export_round(user=clerk, round=round_, target=path)
    wb = load_workbook(path)
    ws = wb["整改台账"]
    column = INDEX["person"] + 1
    cells = ws.iter_rows(min_row=4, min_col=column, max_col=column)
    people = sorted({str(c.value) for (c,) in cells if c.value})
    edited = 0
    for i, row in enumerate(ws.iter_rows(min_row=4)):
        if not isinstance(row[INDEX["id"]].value, int):
            continue
        edited += 1
        deadline = row[INDEX["deadline"]]
        base = deadline.value.date() if isinstance(deadline.value, dt.datetime) else dt.date(2026, 6, 30)
        deadline.value = base + dt.timedelta(days=1 + i % 7)
        if i % 2 == 0:
            current = row[INDEX["person"]].value
            row[INDEX["person"]].value = next(p for p in people if p != current)
        if i % 3 == 0 and row[INDEX["status"]].value in ("未开始", "整改中", "阶段性完成"):
            row[INDEX["progress"]].value = f"第{i}行：本月又开展检查一次。"
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()
    counter = {"queries": 0}

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        counter["queries"] += 1
        return execute(sql, params, many, context)

    t = time.perf_counter()
    with connection.execute_wrapper(count):
        report = import_workbook(actor=clerk, round=round_, data=data, dry_run=False)
    seconds = time.perf_counter() - t
    if not report.applied or report.measures_changed != edited:
        raise SystemExit(f"the apply failed: {report.errors[:3]}")
    return {
        "rows": report.rows,
        "changes": len(report.changes),
        "seconds": seconds,
        "queries": counter["queries"],
        "rss_mb": _rss_mb(),
        "bytes": len(data),
    }


def _child(phase: str, folder: str, *args: str) -> dict[str, Any]:
    env = dict(os.environ, ZHENGGAI_DATA_DIR=folder)
    p = subprocess.run(
        [sys.executable, __file__, phase, folder, *args], env=env, capture_output=True, text=True, check=False
    )
    if p.returncode != 0:
        raise SystemExit(f"phase {phase} failed:\n{p.stderr}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def phase_build(sizes: list[int]) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    rounds, seconds = {}, {}
    for size in sizes:
        t = time.perf_counter()
        rounds[size] = build(size, f"x{size}")
        seconds[size] = time.perf_counter() - t
    applied = {size: build(size, f"a{size}") for size in APPLY_SIZES}
    return {"rounds": rounds, "seconds": seconds, "applied": applied, "vendor": connection.vendor}


def main() -> None:
    # This process never loads Django or the data: each phase runs in a child of its own,
    # so that every ru_maxrss below is that phase's (Linux carries the high-water mark of
    # the parent's copy across fork and exec).
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,100000").split(",")]
    folder = tempfile.mkdtemp(prefix="zhenggai-bench-xlsx-")
    built = _child("build", folder, ",".join(map(str, sizes)))
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, python {platform.python_version()}, "
        f"database {built['vendor']}"
    )
    for size in sizes:
        print(f"built a round of {size} measures in {built['seconds'][str(size)]:.1f} s")
    print(
        f"\n{'measures':>9} {'run':<24} {'seconds':>8} {'× bare same cells':>18} {'× bare plain':>13}"
        f" {'queries':>8} {'tracemalloc peak MB':>20} {'ru_maxrss MB':>13} {'file MB':>8}"
    )
    for size in sizes:
        rid = built["rounds"][str(size)]
        out = str(Path(folder) / f"ledger-{size}.xlsx")
        ours = _child("export", folder, str(rid), out)
        traced = _child("export-traced", folder, str(rid), out)
        dry = _child("dry-run", folder, str(rid), out)
        styled = _child("bare-styled", folder, str(rid), out)
        plain = _child("bare-plain", folder, str(rid), out)
        assert ours["rows"] == styled["rows"] == dry["rows"] == size
        for name, r in (
            ("export (ours)", ours),
            ("export under tracemalloc", traced),
            ("bare, same cells", styled),
            ("bare, plain values", plain),
            ("import dry run, unedited", dry),
        ):
            ratio_s = f"{ours['seconds'] / styled['seconds']:.2f}" if r is ours else ""
            ratio_p = f"{ours['seconds'] / plain['seconds']:.2f}" if r is ours else ""
            peak = f"{r['peak_mb']:.1f}" if r.get("peak_mb") is not None else ""
            print(
                f"{size:>9} {name:<24} {r['seconds']:>8.2f} {ratio_s:>18} {ratio_p:>13}"
                f" {r.get('queries', ''):>8} {peak:>20} {r['rss_mb']:>13.0f} {r['bytes'] / 2**20:>8.1f}"
            )
    if APPLY_SIZES:
        print(
            f"\n{'measures':>9} {'run':<24} {'seconds':>8} {'changes':>8} {'queries':>8} {'ru_maxrss MB':>13}"
        )
    for size in APPLY_SIZES:
        rid = built["applied"][str(size)]
        r = _child("apply", folder, str(rid), str(Path(folder) / f"apply-{size}.xlsx"))
        name = f"import apply, {r['rows']} rows"
        figures = f"{r['seconds']:>8.2f} {r['changes']:>8} {r['queries']:>8} {r['rss_mb']:>13.0f}"
        print(f"{size:>9} {name:<24} {figures}")
    print(
        "\nru_maxrss is the whole process: Python, Django and openpyxl take about "
        f"{ours['rss_before_mb']:.0f} MB before the export starts. The bare loops hold every value "
        "in memory beforehand (untimed), so their ru_maxrss is not comparable; tracemalloc slows "
        "the export several times, so its time is not compared either."
    )


if __name__ == "__main__":
    if len(sys.argv) > 1:
        phase, folder, *rest = sys.argv[1:]
        _setup_django(folder)
        if phase == "build":
            result = phase_build([int(s) for s in rest[0].split(",")])
        else:
            rid, out = int(rest[0]), rest[1]
            result = {
                "export": lambda: phase_export(rid, out, traced=False),
                "export-traced": lambda: phase_export(rid, out, traced=True),
                "bare-styled": lambda: phase_bare(rid, out, styled=True),
                "bare-plain": lambda: phase_bare(rid, out, styled=False),
                "dry-run": lambda: phase_dry_run(rid, out),
                "apply": lambda: phase_apply(rid, out),
            }[phase]()
        print(json.dumps(result))
    else:
        main()
