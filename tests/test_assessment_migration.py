"""The 党建考核 migration carries the allowance's former branch grades (branch_assessments) into
assessments, five grades onto four by rank so no branch's allowance eligibility changes, and maps
the grade snapshots of allowance lines the same way; the downgrade brings them back."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from dangjian.assessment.grades import AssessmentGrade as G
from dangjian.assessment.models import Assessment, AssessmentState
from dangjian.extensions import db
from tests.factories import build_org
from tests.test_migrations import empty_app, logging_kept  # noqa: F401

BEFORE = "4ac57c893ea4"  # the revision before 党建考核


def test_branch_grades_become_graded_assessments(empty_app):  # noqa: F811
    with logging_kept():
        upgrade(revision=BEFORE)
    o = build_org()
    rows = [(o.branch_a1, 2025, "pass"), (o.branch_a2, 2025, "basic"), (o.branch_b1, 2025, "excellent"),
            (o.branch_a1, 2024, "fail")]
    for branch, year, grade in rows:
        db.session.execute(text(
            "INSERT INTO branch_assessments (year, branch_id, grade, recorded_by_id, recorded_at) "
            "VALUES (:year, :branch, :grade, :user, '2026-01-10 08:00:00')"),
            {"year": year, "branch": branch.id, "grade": grade, "user": o.org_dept_user.id})
    db.session.commit()
    with logging_kept():
        upgrade()
    got = {(a.organization_id, a.year): a for a in db.session.scalars(select(Assessment))}
    assert {k: a.grade for k, a in got.items()} == {
        (o.branch_a1.id, 2025): G.FAIR, (o.branch_a2.id, 2025): G.POOR, (o.branch_b1.id, 2025): G.EXCELLENT,
        (o.branch_a1.id, 2024): G.POOR}
    a = got[(o.branch_a1.id, 2025)]
    assert a.state is AssessmentState.GRADED and a.grade.eligible and "原结果「合格」" in a.note
    assert not got[(o.branch_a2.id, 2025)].grade.eligible  # 基本合格 was not eligible, 差 is not either
    assert "branch_assessments" not in inspect(db.engine).get_table_names()
    db.session.commit()
    with logging_kept():
        downgrade(revision=BEFORE)
    back = db.session.execute(text("SELECT branch_id, year, grade FROM branch_assessments ORDER BY id")).all()
    assert sorted(back) == sorted([(o.branch_a1.id, 2025, "pass"), (o.branch_a2.id, 2025, "fail"),
                                   (o.branch_b1.id, 2025, "excellent"), (o.branch_a1.id, 2024, "fail")])
