"""The request types. Each package holds its model, workflow, form, views, documents and demo data.

How a package plugs in (its attributes, naming rules, and the start-up check) is written down once,
in `dangjian/plugins.py`; the core reaches the packages only through that module.
"""
from . import award_nomination, condolence, dues_waiver, secretary_allowance

PACKAGES = (dues_waiver, condolence, secretary_allowance, award_nomination)
