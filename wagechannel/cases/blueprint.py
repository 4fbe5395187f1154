"""The cases blueprint, shared by the modules that add its pages."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cases", __name__)
CASE_ROLES = ("legal_aid_staff", "lawyer", "bureau_liaison")
