"""The blueprint of 表彰推荐. Its name is the request type, so the request page finds the edit view
(`award_nomination.edit`) and the templates (templates/award_nomination/)."""
from flask import Blueprint

bp = Blueprint("award_nomination", __name__, url_prefix="/awards")
