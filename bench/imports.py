"""Excel import speed (issue 6 §4): a generated roster of 10,000 members in 200 branches under 20
secondary units (one .xlsx, 「组织」 and 「党员」 sheets), then

- preview: read (openpyxl read-only, streamed) and plan every row, as the upload does;
- confirm: plan again and write it all in one transaction, as the confirmation does;
- re-import preview: the same file again, every row 不变 (each member compared with the database);

each timed, and the peak Python memory of a preview and of a confirmation (tracemalloc, in runs of
their own, because tracing slows them down). Target: preview + confirm under 30 s.

Run inside `make bench` (after the other phases, on the bench database), or alone on a fresh SQLite
file: `python -m bench.imports [--members N]`. The imported rows are removed afterwards.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook

TARGET_SECONDS = 30.0
PREFIX = "BIMP"  # 工号 and 组织编码 of the generated rows


@dataclass
class ImportBench:
    members: int
    file_mb: float
    preview: float
    confirm: float
    reimport: float
    preview_peak_mb: float
    confirm_peak_mb: float
    max_rss_mb: float
    counts: dict

    @property
    def total(self) -> float:
        return self.preview + self.confirm


def make_roster(path: Path, members: int = 10_000, secondaries: int = 20, branches: int = 200) -> Path:
    """A roster as an office would upload it (write-only workbook: generating it stays cheap)."""
    from dangjian.org import idcard

    wb = Workbook(write_only=True)
    orgs = wb.create_sheet("组织")
    orgs.append(["组织编码", "组织名称", "组织类型", "上级组织", "成立日期"])
    for s in range(secondaries):
        orgs.append([f"{PREFIX}S{s:02d}", f"测试学院{s:02d}党委", "二级党委", "", "2001-07-01"])
    for b in range(branches):
        orgs.append([f"{PREFIX}B{b:03d}", f"测试学院{b % secondaries:02d}第{b:03d}党支部",
                     "学生党支部" if b % 3 == 0 else "教职工党支部", f"{PREFIX}S{b % secondaries:02d}", "2002-07-01"])
    sheet = wb.create_sheet("党员")
    sheet.append(["工号", "姓名", "性别", "身份证号", "出生日期", "所在支部", "人员类别", "党员类别", "入党日期",
                  "转正日期", "联系电话", "月缴党费", "民族", "学历", "工作岗位"])
    for n in range(members):
        born = date(1950 + n % 50, 1 + n % 12, 1 + n % 28)
        male = n % 2 == 0
        sequence = (n // 1000) * 2 + (1 if male else 0)  # unique with the birth date for 10,000 rows
        sheet.append([f"{PREFIX}{n:06d}", f"测试党员{n}", "男" if male else "女",
                      idcard.make(f"{610100 + n % 97:06d}", born, sequence), born.isoformat(),
                      f"{PREFIX}B{n % branches:03d}", "学生" if (n % branches) % 3 == 0 else "教职工", "正式党员",
                      date(born.year + 25, 7, 1).isoformat(), date(born.year + 26, 7, 1).isoformat(),
                      f"139{n:08d}", f"{10 + n % 90}.50", "汉族", "研究生", "专业技术人员"])
    wb.save(path)
    return path


def _peak(fn) -> tuple[object, float]:
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def remove_imported() -> None:
    """Delete what the bench imported (members, their dues rates and transfers, the organizations)."""
    from sqlalchemy import delete, select

    from dangjian.extensions import db
    from dangjian.models import Member, MemberDuesRate, MemberTransfer, Organization

    ids = select(Member.id).where(Member.staff_no.like(f"{PREFIX}%")).scalar_subquery()
    db.session.execute(delete(MemberDuesRate).where(MemberDuesRate.member_id.in_(ids)))
    db.session.execute(delete(MemberTransfer).where(MemberTransfer.member_id.in_(ids)))
    db.session.execute(delete(Member).where(Member.staff_no.like(f"{PREFIX}%")))
    branches = Organization.code.like(f"{PREFIX}B%")
    db.session.execute(delete(Organization).where(branches))
    db.session.execute(delete(Organization).where(Organization.code.like(f"{PREFIX}%")))
    db.session.commit()


def measure(app, out_dir: Path, members: int = 10_000, log=print) -> ImportBench:
    from dangjian.extensions import db
    from dangjian.org.imports import operations

    path = make_roster(out_dir / "import-roster.xlsx", members)
    log(f"==> import: a roster of {members:,} members ({path.stat().st_size / 2**20:.1f} MB, {path.name}): "
        "preview, confirm, re-import, memory")
    with app.app_context():
        remove_imported()
        t = time.perf_counter()
        prepared = operations.prepare("members", str(path))
        preview = time.perf_counter() - t
        plan = prepared.plan
        if not plan.ok:
            issues = plan.all_issues()[:5]
            raise SystemExit("the generated roster has errors: " + "; ".join(f"{i.where} {i.message}" for i in issues))
        digest, counts = plan.digest(), plan.counts
        del prepared, plan
        db.session.rollback()
        log(f"    preview {preview:.1f} s: {counts}")

        t = time.perf_counter()
        operations.confirm("members", str(path), user=None, sha256="bench", filename=path.name, source="bench",
                           expected_digest=digest)
        confirm = time.perf_counter() - t
        db.session.remove()
        log(f"    confirm {confirm:.1f} s")

        t = time.perf_counter()
        again = operations.prepare("members", str(path)).plan
        reimport = time.perf_counter() - t
        same = again.counts["same"]
        del again
        db.session.rollback()
        db.session.remove()
        log(f"    re-import preview {reimport:.1f} s ({same:,} rows 不变)")

        # Memory, in runs of their own: a preview of the whole file against the filled database (the
        # heavier one: each member is loaded and compared), and a first-load confirmation.
        _, preview_peak = _peak(lambda: operations.prepare("members", str(path)).plan.counts)
        db.session.rollback()
        db.session.remove()
        remove_imported()
        _, confirm_peak = _peak(lambda: operations.confirm("members", str(path), user=None, sha256="bench",
                                                           filename=path.name, source="bench"))
        db.session.remove()
        remove_imported()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return ImportBench(members, path.stat().st_size / 2**20, preview, confirm, reimport, preview_peak,
                       confirm_peak, rss, counts)


def report_lines(r: ImportBench) -> list[str]:
    from .report import table, verdict
    ok = r.total < TARGET_SECONDS
    rows = [
        [f"import {r.members:,} members: preview", f"{r.preview:.1f} s", "", "(info)", "—"],
        ["  confirm (plan again + write)", f"{r.confirm:.1f} s", "", "(info)", "—"],
        ["  preview + confirm", f"{r.total:.1f} s", "", f"< {TARGET_SECONDS:.0f} s", verdict(ok)],
        ["  re-import preview (all 不变)", f"{r.reimport:.1f} s", "", "(info)", "—"],
        ["  peak Python memory: preview", "", f"{r.preview_peak_mb:.0f} MB", "(info)", "—"],
        ["  peak Python memory: confirm", "", f"{r.confirm_peak_mb:.0f} MB", "(info)", "—"],
    ]
    return ["", table(["measure", "time", "memory", "target", "result"], rows),
            f"(file {r.file_mb:.1f} MB, openpyxl read-only; tracemalloc peaks measured in separate runs; "
            f"process max RSS {r.max_rss_mb:.0f} MB)"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--members", type=int, default=10_000)
    args = p.parse_args(argv)
    from . import __main__ as bench_main
    from .seed import reset_schema

    out = bench_main.OUT
    out.mkdir(parents=True, exist_ok=True)
    url = bench_main.database_url()
    if url.startswith("sqlite:///"):
        url = f"sqlite:///{out / 'imports.sqlite3'}"
        bench_main.remove_sqlite(url)
    app = bench_main.make_app(url, None)
    with app.app_context():
        from dangjian.extensions import db
        from dangjian.models import Organization, OrgKind
        reset_schema()
        school = Organization(name="中共测试大学委员会", kind=OrgKind.SCHOOL, path="")
        db.session.add(school)
        db.session.flush()
        school.set_parent(None)
        db.session.commit()
    result = measure(app, out, args.members, log=bench_main.log)
    print("\n".join(report_lines(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
