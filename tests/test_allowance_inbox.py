"""回避 in 待办: a 组织部 holder paid by an allowance batch does not find it in 待办; another holder does."""
from dangjian.inbox import todo_count
from tests.factories_allowance import allowance_world, new_batch


def test_a_paid_secretary_holding_the_step_role_does_not_see_the_batch_in_todo(app, org, auth, client):
    o = allowance_world(org)
    batch = new_batch(o.sec_b, o.secondary_b)  # pays org_dept_user (secretary of 经济学院教工党支部 until May)
    assert batch.current_step == "org_dept"
    assert o.org_dept_user.member_id in batch.conflicted_member_ids()

    assert todo_count(o.org_dept_user) == 0
    assert todo_count(o.org_dept2) == 1

    auth.login(o.org_dept_user)
    assert f'id="inbox-item-{batch.id}"' not in client.get("/inbox/todo").get_data(as_text=True)
    auth.login(o.org_dept2)
    assert f'id="inbox-item-{batch.id}"' in client.get("/inbox/todo").get_data(as_text=True)
