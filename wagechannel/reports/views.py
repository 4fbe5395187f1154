"""Excel import of projects: the template to download, the upload and its report."""
from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from wagechannel.accounts.permissions import roles_required
from wagechannel.accounts.services import record
from wagechannel.extensions import db
from wagechannel.places.models import Contractor
from wagechannel.reports.project_import import (MAX_FILE_BYTES, MAX_ROWS, XLSX_MIMETYPE,
                                                ImportRefused, check_workbook,
                                                import_projects, template_workbook)

bp = Blueprint("reports", __name__)
SHOWN_PROBLEMS = 1000  # a file of 2000 bad rows would otherwise make a page nobody reads


def _own_contractor() -> Contractor | None:
    """The contractor a contractor user imports into; None for an administrator."""
    if current_user.role == "admin":
        return None
    contractor = db.session.get(Contractor, current_user.contractor_id)
    if contractor is None:
        abort(403)
    return contractor


def _page(contractor: Contractor | None, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template("reports/project_import.html", contractor=contractor,
                           for_admin=contractor is None, max_rows=MAX_ROWS,
                           max_megabytes=MAX_FILE_BYTES // 1024 // 1024,
                           shown_problems=SHOWN_PROBLEMS,
                           **{"check": None, "error": None, "notice": None, **context}), status


@bp.route("/projects/import/template.xlsx")
@roles_required("contractor")
def project_import_template() -> ResponseReturnValue:
    content = template_workbook(db.session, for_admin=_own_contractor() is None)
    return send_file(io.BytesIO(content), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name="项目导入模板.xlsx", max_age=0)


@bp.route("/projects/import", methods=["GET", "POST"])
@roles_required("contractor")
def project_import() -> ResponseReturnValue:
    contractor = _own_contractor()
    if request.method == "GET":
        return _page(contractor)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(contractor, 422, error="请先选择要上传的Excel文件。")
    content = upload.stream.read(MAX_FILE_BYTES + 1)
    try:
        check = check_workbook(db.session, content, contractor=contractor)
    except ImportRefused as refused:
        return _page(contractor, 422, error=refused.message)
    only_good = request.form.get("only_good") == "1"
    same_file = request.form.get("digest") == check.digest
    if not check.valid and not (only_good and same_file and check.good):
        notice = None
        if only_good and not same_file:
            notice = "这次选的文件和刚才检查的不是同一个，所以没有导入。下面是这个文件的检查结果。"
        return _page(contractor, 422, check=check, notice=notice)
    projects = import_projects(db.session, check, only_good=only_good)
    record(db.session, "projects_imported", actor=current_user,
           object_type="contractor" if contractor else None,
           object_id=contractor.id if contractor else None, ip=request.remote_addr,
           count=len(projects), skipped_rows=len(check.bad_rows),
           file=upload.filename, project_ids=[project.id for project in projects])
    db.session.commit()
    skipped = f"，有问题的{len(check.bad_rows)}行没有导入" if check.bad_rows else ""
    flash(f"已导入{len(projects)}个项目{skipped}。每个项目都已生成一块告示牌，内容齐全的可以马上打印。",
          "info")
    return redirect(url_for("places.projects"), code=303)
