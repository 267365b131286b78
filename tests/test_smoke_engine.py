from dangjian.models import RequestState
from tests.factories import approve, new_waiver


def test_waiver_goes_through_three_steps(app, org):
    req = new_waiver(org.member)
    assert (req.state, req.current_step) == (RequestState.PENDING, "branch")
    approve(req, org.secretary)
    assert req.current_step == "secondary"
    approve(req, org.secondary)
    assert req.current_step == "school"
    approve(req, org.school_user)
    assert req.state is RequestState.APPROVED
    assert [d.status.value for d in req.documents] == ["pending"]
