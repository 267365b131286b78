"""The plug-in contract (dangjian/plugins.py): every package complies, and a package that breaks
a rule stops the app at start-up with a message naming the package and the rule."""
import types

import pytest
from flask import Blueprint

from dangjian import create_app, plugins, request_types


def test_every_shipped_package_complies(app):
    assert plugins.problems(app.template_folder) == []
    names = [plugins.name_of(p) for p in plugins.packages()]
    assert names[:4] == ["dues_waiver", "condolence", "secretary_allowance", "award_nomination"]


def _module(name, **attrs):
    pkg = types.ModuleType(f"dangjian.{name}")
    for k, v in attrs.items():
        setattr(pkg, k, v)
    return pkg


def test_a_module_with_a_foreign_blueprint_name_stops_the_start(monkeypatch, tmp_path, app):
    bad = _module("lantern", blueprints=[Blueprint("registry", __name__)], periodic_tasks=[])
    monkeypatch.setattr(plugins, "MODULES", (bad,))
    with pytest.raises(plugins.PluginContractError) as err:
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
                    "SECRET_KEY": "x", "DATA_KEYS": app.config["DATA_KEYS"]})
    message = str(err.value)
    assert "dangjian.lantern: blueprint 'registry' must be named 'lantern'" in message
    assert "no template folder templates/lantern/" in message


def test_a_module_with_a_wrong_attribute_is_named(monkeypatch, app):
    bad = _module("lantern", blueprints=[Blueprint("lantern", __name__)], nav_entries=["not callable"],
                  periodic_tasks=[print, 3])
    monkeypatch.setattr(plugins, "MODULES", (bad,))
    found = plugins.problems(app.template_folder)
    assert "dangjian.lantern: `nav_entries` must be callable" in found
    assert "dangjian.lantern: `periodic_tasks` must be a list of callables" in found
    assert "dangjian.lantern: no template folder templates/lantern/" in found


def test_a_request_type_whose_names_disagree_is_named(monkeypatch, app):
    bad = _module("request_types.leave", blueprints=[Blueprint("leave_requests", __name__)])
    monkeypatch.setattr(request_types, "PACKAGES", (*request_types.PACKAGES, bad))
    found = plugins.problems(app.template_folder)
    prefix = "dangjian.request_types.leave: "
    assert prefix + "no blueprint named 'leave' (the core links to leave.edit)" in found
    assert prefix + "no template templates/leave/_fields.html" in found
    assert prefix + "no Request model with polymorphic_identity 'leave'" in found


def test_two_packages_with_one_name_are_refused(monkeypatch, app):
    twin = _module("x.dues_waiver")
    monkeypatch.setattr(plugins, "MODULES", (twin,))
    assert "dangjian.x.dues_waiver: name 'dues_waiver' is used by two packages" in plugins.problems(app.template_folder)


@pytest.mark.parametrize("entry", [
    {"key": "lantern", "label": "灯笼"},  # no url
    {"key": "todo", "label": "灯笼", "url": "/lantern"},  # a core item's key
    {"key": "lantern", "label": "灯笼", "url": "/lantern", "short": "元宵灯笼会"},  # too long for the bottom bar
])
def test_a_malformed_navigation_entry_fails_loudly(monkeypatch, app, org, entry):
    bad = _module("lantern", nav_entries=lambda user: [entry])
    monkeypatch.setattr(plugins, "MODULES", (bad,))
    with pytest.raises(plugins.PluginContractError, match="dangjian.lantern: nav entry"):
        plugins.nav_entries(org.member)


def test_navigation_entries_carry_their_package(monkeypatch, app, org):
    good = _module("lantern", nav_entries=lambda user: [{"key": "lantern", "label": "灯笼", "url": "/lantern"}])
    monkeypatch.setattr(plugins, "MODULES", (good, _module("kite", nav_entries=lambda user: [
        {"key": "lantern", "label": "风筝", "url": "/kite"}])))
    with pytest.raises(plugins.PluginContractError, match="dangjian.kite: nav entry"):  # the key is taken
        plugins.nav_entries(org.member)
    monkeypatch.setattr(plugins, "MODULES", (good,))
    assert [e for e in plugins.nav_entries(org.member) if e["key"] == "lantern"] == [
        {"key": "lantern", "label": "灯笼", "url": "/lantern", "package": "lantern"}]
