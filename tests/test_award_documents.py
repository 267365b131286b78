"""The three PDFs of 表彰推荐, rendered by a real RQ worker (tests/test_document_jobs.run_worker), with
the text a reader expects: the 推荐审批表 per nominee (every field, a box per step with the ranking and
the 党委会, the 公示 result in its final version), the 公示 notice (the list by category, the period and
how to object) and the 表彰决定 (文号, every awardee by category)."""
from datetime import datetime

from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import Document, DocumentStatus
from dangjian.request_types.award_nomination.publicity import (close_publicity_periods, file_objection,
                                                                handle_objection, publish_cycle)
from dangjian.workflow import Action, apply_action
from tests.factories import make_member, make_user
from tests.factories_award import MEMBER, ORG, aorg, decide, forward, make_cycle, nominate  # noqa: F401
from tests.test_document_jobs import assert_cjk_fonts_embedded, assert_done_and_intact, pdf_text, run_worker

PUBLISHED = datetime(2026, 6, 19, 4, 0)  # Friday 19 June 2026, noon in Beijing
DEEDS_MEMBER = "主讲《中级财务会计》等课程，获评省级教学名师；指导学生获全国大学生会计技能大赛一等奖。"
DEEDS_ORG = "支部严格落实“三会一课”制度，创建“党建引领·专业赋能”品牌，连续两年考核为“好”等次。"


def docs(**where):
    db.session.expire_all()
    q = select(Document).order_by(Document.id)
    for k, v in where.items():
        q = q.where(getattr(Document, k) == v)
    return db.session.scalars(q).all()


def test_all_three_documents_from_decision_to_award(app, aorg, redis_conn):
    rare = make_user("rare", make_member(aorg.branch_a2, "钱赟堃"))  # rare name characters must render
    db.session.commit()
    cycle = make_cycle(aorg)
    person = nominate(cycle, aorg.secretary_a2, MEMBER, member_user=rare, deeds=DEEDS_MEMBER)
    forward(person, aorg.secondary, opinion="经会计学院党委会议研究，同意推荐，排序第一。")
    apply_action(person, aorg.org_dept_user, Action.APPROVE, opinion="经审核，符合条件。")
    decide(person, aorg.school_user, opinion="经校党委会议研究，同意表彰。")
    branch = nominate(cycle, aorg.secretary_b, ORG, org=aorg.branch_b1, deeds=DEEDS_ORG)
    forward(branch, aorg.secondary_b)
    apply_action(branch, aorg.org_dept_user, Action.APPROVE, opinion="同意。")
    decide(branch, aorg.school_user)

    # 1. The 推荐审批表 at the school's decision.
    assert run_worker()
    form = docs(request_id=person.id)
    assert [(d.kind, d.version) for d in form] == [("award_nomination_form", 1)]
    text = pdf_text(assert_done_and_intact(form[0]))
    for expected in ["2026年度“两优一先”表彰推荐审批表", person.number, "钱赟堃", "男", "优秀共产党员",
                     "会计学院本科生党支部", "会计学院党委", DEEDS_MEMBER,
                     "党支部推荐意见", "钱书记（支部书记/支委）",
                     "二级党组织审核排序意见", "排序：优秀共产党员第1名（本单位名额2名）", "经会计学院党委会议研究，同意推荐，排序第一。",
                     "党委组织部审核意见", "经审核，符合条件。", "刘组织部（组织部）",
                     "校党委决定意见", "党委会（2026年6月10日）", "同意21票，反对0票，弃权1票", "张校领导（校党委）",
                     "公示情况", "校党委决定后由党委组织部统一公示"]:
        assert expected in text, expected
    assert_cjk_fonts_embedded(assert_done_and_intact(form[0]))
    org_text = pdf_text(assert_done_and_intact(docs(request_id=branch.id)[0]))
    for expected in ["被推荐组织情况", "经济学院教工党支部", "经济学院党委", "孙书记", DEEDS_ORG]:
        assert expected in org_text, expected

    # 2. The 公示 notice at the publication: every logged-in user downloads it.
    publish_cycle(cycle.id, aorg.org_dept_user, now=PUBLISHED)
    assert run_worker()
    notice = docs(award_cycle_id=cycle.id)
    assert [d.kind for d in notice] == ["award_publicity_notice"]
    pdf = assert_done_and_intact(notice[0])
    text = pdf_text(pdf)
    for expected in ["中共测试大学委员会组织部", "关于2026年度“两优一先”表彰拟表彰对象的公示",
                     "一、先进基层党组织（1个）", "经济学院教工党支部（经济学院党委）",
                     "二、优秀共产党员（1名）", "钱赟堃（会计学院本科生党支部）",
                     "公示时间：2026年6月19日至2026年6月25日（5个工作日）", "提出异议", "党委组织部反映",
                     "2026年6月19日", "—1—"]:
        assert expected in text, expected
    assert_cjk_fonts_embedded(pdf)

    # 3. An objection against the branch, dismissed; the period ends: 已表彰, and the 表彰决定.
    objection = file_objection(branch.id, aorg.member_b, "反映支部材料不实。", now=PUBLISHED)
    handle_objection(objection.id, aorg.org_dept_user, False, "经核实，材料属实，异议不成立。", now=PUBLISHED)
    db.session.expire_all()
    close_publicity_periods(now=cycle.publicity_ends_at)
    assert run_worker()
    decision = docs(award_cycle_id=cycle.id, kind="award_decision")
    assert len(decision) == 1
    pdf = assert_done_and_intact(decision[0])
    text = pdf_text(pdf)
    for expected in ["中共测试大学委员会文件", "西财党发〔2026〕1号", "关于2026年度“两优一先”表彰的决定",
                     "各二级党组织、直属党支部", "2026年6月19日至2026年6月25日，5个工作日",
                     "一、先进基层党组织（1个）", "经济学院教工党支部（经济学院党委）",
                     "二、优秀共产党员（1名）", "钱赟堃（会计学院本科生党支部）", "中共测试大学委员会"]:
        assert expected in text, expected
    assert_cjk_fonts_embedded(pdf)
    # The final 审批表 (version 2) records the 公示 and its objection.
    final = docs(request_id=branch.id)
    assert [d.version for d in final] == [1, 2] and all(d.status is DocumentStatus.DONE for d in final)
    text = pdf_text(assert_done_and_intact(final[-1]))
    assert "公示期：2026年6月19日至2026年6月25日（5个工作日）" in text
    assert "收到异议1件（成立0件，不成立1件）" in text and "结果：公示期满，予以表彰" in text


def test_cycle_documents_are_downloaded_by_every_logged_in_user(app, aorg, auth, client, redis_conn):
    cycle = make_cycle(aorg)
    req = nominate(cycle, aorg.secretary, MEMBER, member_user=aorg.member)
    forward(req, aorg.secondary)
    apply_action(req, aorg.org_dept_user, Action.APPROVE, opinion="同意")
    decide(req, aorg.school_user)
    publish_cycle(cycle.id, aorg.org_dept_user)
    run_worker()
    notice = docs(award_cycle_id=cycle.id)[0]
    form = docs(request_id=req.id)[0]
    for user in (aorg.direct_member, aorg.secondary_b):  # not the 系统管理员 (三员分立)
        auth.login(user)
        resp = client.get(f"/documents/{notice.id}/download")
        assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
        assert client.get(f"/documents/{form.id}/download").status_code == 404  # the 审批表 is not public
    page = client.get(f"/awards/cycles/{cycle.id}/documents").get_data(as_text=True)
    assert f"/documents/{notice.id}/download" in page and "拟表彰对象公示" in page
    client.post("/logout")
    assert client.get(f"/documents/{notice.id}/download").status_code == 302  # to the login page
