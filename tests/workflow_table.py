"""The state × role × action table check, shared by every request type's workflow tests.

A case is (scenario, user, action, kwargs, expected) where expected is `ok(state, step)` or
`refused(message)`. `check_case` asserts the buttons (available_actions), the outcome, and that a
refusal changes nothing."""
import pytest

from dangjian.extensions import db
from dangjian.workflow import ActionRefused, available_actions


def ok(state, step=None):
    return ("ok", state, step)


def refused(message):
    return ("refused", message)


def check_case(req, user, action, kw, expected, act, *, button_on_refusal=None, refusal_kw=None):
    """`act(req, user, action, **kw)` applies the action the way the type's valid form would.
    A refusal that depends on the form (kw, e.g. return_to) still shows the button; pass
    `button_on_refusal` to say otherwise. `user` None is the system."""
    before = (req.state, req.current_step, req.version, len(req.timeline))
    if expected[0] == "ok":
        assert action in available_actions(req, user)
        entry = act(req, user, action, **kw)
        _, state, step = expected
        assert (req.state, req.current_step) == (state, step)
        assert req.version == before[2] + 1
        assert entry.actor_id == user.id and entry.action == action.value
        if step is not None:
            wf = type(req).workflow
            assert req.current_org_id == wf.step(step).org(req).id
            assert req.current_role == wf.step(step).role.value
        else:
            assert req.current_org_id is None and req.current_role is None
        return
    if user is not None:
        shown = bool(kw) if button_on_refusal is None else button_on_refusal
        assert (action in available_actions(req, user)) == shown
    with pytest.raises(ActionRefused) as exc:
        act(req, user, action, **(refusal_kw or {}), **kw)
    assert expected[1] in exc.value.message
    db.session.rollback()
    db.session.expire_all()
    assert (req.state, req.current_step, req.version, len(req.timeline)) == before
