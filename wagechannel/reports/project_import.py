"""Projects from an Excel workbook: the template, reading it, checking every row, importing.

Every row goes through `parse_project`, the same check as the web form. Nothing is imported
while any row is bad, unless the caller asks for the good rows only.
"""
from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from wagechannel.boards.services import issue_board
from wagechannel.errors import DomainError
from wagechannel.places.models import Contractor, Project, Region
from wagechannel.places.services import (PROJECT_PHONE_FIELDS, PROJECT_TEXT_FIELDS, ProjectInput,
                                         ProjectInvalid, parse_project, save_project)
from wagechannel.reports.workbook import workbook_bytes
from wagechannel.validation import clean_text

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
# A 5 MB zip can unpack to gigabytes of XML; real project lists stay far below this.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_COLUMNS = 200
HEADER_SEARCH_ROWS = 10
DATA_SHEET = "项目"
HELP_SHEET = "说明"
CONTRACTOR = "contractor"  # the admin template's extra column, not a field of parse_project
NOT_XLSX = "文件不是Excel（.xlsx）格式。如果是旧版的 .xls 文件，请在Excel里“另存为” .xlsx 后再上传。"

PHONE_HINT = "手机写11位；固定电话带区号，例如 0755-26661234"


@dataclass(frozen=True)
class ImportColumn:
    field: str
    label: str
    required: bool
    hint: str | None
    width: int
    text_format: bool = False  # typed as text in Excel, so a leading 0 survives

    @property
    def heading(self) -> str:
        return self.label + "*" if self.required else self.label


def _text_column(name: str, width: int = 24, hint: str | None = None) -> ImportColumn:
    label, _limit, required = PROJECT_TEXT_FIELDS[name]
    return ImportColumn(name, label, required, hint, width)


def _phone_column(name: str) -> ImportColumn:
    return ImportColumn(name, PROJECT_PHONE_FIELDS[name], False, PHONE_HINT, 18, text_format=True)


def import_columns(*, for_admin: bool) -> list[ImportColumn]:
    """The template's columns, in the order of the web form."""
    columns = [
        _text_column("name", 28),
        _text_column("address", 36),
        ImportColumn("region_code", "所在区县代码", True, "6位数字，见“说明”表里的列表", 14,
                     text_format=True),
    ]
    if for_admin:
        columns.append(ImportColumn(CONTRACTOR, "施工总承包单位", True,
                                    "名称要和系统里的单位完全一样，见“说明”表", 28))
    columns += [
        _text_column("construction_unit_name"),
        _phone_column("construction_unit_phone"),
        _text_column("project_office_name", hint="例如：某某工程项目部"),
        _text_column("project_manager_name", 12),
        _phone_column("project_office_phone"),
        ImportColumn("subcontractors", "分包单位", False,
                     "每家写“名称，分包内容，电话”；多家时每行一家，或用“；”隔开", 44,
                     text_format=True),
        _text_column("authority_name", hint="例如：某某区住房和建设局"),
        _phone_column("authority_phone"),
        _text_column("labour_manager_name", 12),
        _phone_column("labour_manager_phone"),
        ImportColumn("minimum_wage_monthly", "最低工资标准（元/月）", False,
                     "数字，单位元；不填则用所在地区的标准", 14),
        ImportColumn("minimum_wage_hourly", "小时最低工资标准（元/小时）", False,
                     "数字，单位元；可不填", 14),
        ImportColumn("pay_day", "工资支付日（每月几日）", False, "1到31之间的数字", 12),
        _phone_column("labour_inspection_phone"),
        _text_column("arbitration_name", 28),
        _text_column("arbitration_address", 30),
        _phone_column("arbitration_phone"),
    ]
    return columns


# Other names people give these columns (the web form's labels among them).
ALIASES = {
    "所在区县": "region_code",
    "区县代码": "region_code",
    "行政区划代码": "region_code",
    "施工总承包单位项目部": "project_office_name",
    "项目部": "project_office_name",
    "当地最低工资标准（元/月）": "minimum_wage_monthly",
    "最低工资标准": "minimum_wage_monthly",
    "小时最低工资标准": "minimum_wage_hourly",
    "工资支付日": "pay_day",
    "本地劳动保障监察投诉电话": "labour_inspection_phone",
    "劳动保障监察电话": "labour_inspection_phone",
}


def _label_key(text: str) -> str:
    """Header labels compare without spaces, asterisks, or full-width/half-width differences."""
    return re.sub(r"[\s*]", "", unicodedata.normalize("NFKC", text))


def _label_map(columns: list[ImportColumn]) -> dict[str, str]:
    known = {column.field for column in columns}
    labels = {_label_key(alias): name for alias, name in ALIASES.items() if name in known}
    labels.update({_label_key(column.label): column.field for column in columns})
    return labels


class ImportRefused(DomainError):
    """The file as a whole cannot be read or used; nothing in it was checked row by row."""


@dataclass(frozen=True)
class RowProblem:
    row: int  # the Excel row number
    field: str  # the project field (or "contractor")
    column: str  # the column's header as written in the file
    letter: str | None  # the Excel column letter in the uploaded file
    message: str


@dataclass(frozen=True)
class GoodRow:
    row: int
    data: ProjectInput
    contractor: Contractor


@dataclass
class ImportCheck:
    digest: str  # of the uploaded bytes: "import only the good rows" must be the same file
    rows: int = 0  # non-empty data rows
    good: list[GoodRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def bad_rows(self) -> list[int]:
        return sorted({problem.row for problem in self.problems})


def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def cell_text(value: Any) -> str | None:
    """A cell as the text a person typed: 2520.0 -> "2520", 13800138000 -> "13800138000"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(value, ".15g")  # Excel keeps 15 significant digits; no 0.1+0.2 tails
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S").removesuffix(" 00:00:00")
    if isinstance(value, date | time):
        return value.isoformat()
    text = str(value).strip()
    return text or None


# --- Reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetRow:
    number: int
    cells: dict[str, Any]  # field -> raw cell value


@dataclass(frozen=True)
class SheetContent:
    letters: dict[str, str]  # field -> column letter
    labels: dict[str, str]  # field -> the header as written in the file
    rows: list[SheetRow]
    warnings: list[str]


def _open_workbook(content: bytes) -> Any:
    if not content:
        raise ImportRefused("文件是空的。")
    if len(content) > MAX_FILE_BYTES:
        raise ImportRefused(f"文件太大了（超过{MAX_FILE_BYTES // 1024 // 1024}MB）。"
                            "请删掉图片和多余的表，或者分成几个文件上传。")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise ImportRefused(NOT_XLSX) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportRefused("文件里的内容太多了，请分成几个文件上传。")
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001  openpyxl raises many kinds (KeyError, XML errors...) for a bad file
        raise ImportRefused(NOT_XLSX) from None


def _data_sheet(workbook: Any) -> Any:
    for sheet in workbook.worksheets:
        if sheet.title == DATA_SHEET:
            return sheet
    if not workbook.worksheets:
        raise ImportRefused("表格是空的。")
    return workbook.worksheets[0]


def read_sheet(content: bytes, *, for_admin: bool, contractor_name: str | None = None
               ) -> SheetContent:
    """The data rows of the workbook, keyed by field. Raises ImportRefused for the whole file."""
    workbook = _open_workbook(content)
    try:
        try:
            return _read_rows(_data_sheet(workbook), for_admin=for_admin,
                              contractor_name=contractor_name)
        except ImportRefused:
            raise
        except Exception:  # noqa: BLE001  a sheet that opened but cannot be parsed
            raise ImportRefused("文件已损坏，读不出来。请在Excel里重新保存后再上传。") from None
    finally:
        workbook.close()


def _read_rows(sheet: Any, *, for_admin: bool, contractor_name: str | None) -> SheetContent:
    columns = import_columns(for_admin=for_admin)
    labels = _label_map(columns)
    rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
    header: tuple[Any, ...] | None = None
    header_number = 0
    seen_anything = False
    for number, values in enumerate(rows, start=1):
        texts = [cell_text(value) for value in values]
        if any(texts):
            seen_anything = True
            if any(_label_key(text) in labels for text in texts if text):
                header, header_number = values, number
                break
        if number >= HEADER_SEARCH_ROWS:
            break
    if not seen_anything:
        raise ImportRefused("表格是空的。请在下载的模板里填写项目后再上传。")
    if header is None:
        header = ()

    letters: dict[str, str] = {}
    found_labels: dict[str, str] = {}
    positions: dict[int, str] = {}
    unknown: list[str] = []
    warnings: list[str] = []
    for index, value in enumerate(header):
        text = cell_text(value)
        if text is None:
            continue
        name = labels.get(_label_key(text))
        if name is None:
            if not for_admin and _label_key(text) == _label_key("施工总承包单位"):
                warnings.append(f"“{text}”这一列不会导入：您导入的项目都属于您的单位"
                                f"{'（' + contractor_name + '）' if contractor_name else ''}。")
            else:
                unknown.append(text)
            continue
        if name in letters:
            raise ImportRefused(f"“{text}”这一列出现了两次（{letters[name]}列和"
                                f"{get_column_letter(index + 1)}列），请删掉一列后再上传。")
        letters[name] = get_column_letter(index + 1)
        found_labels[name] = text
        positions[index] = name
    missing = [column.label for column in columns if column.required and column.field not in letters]
    if missing:
        raise ImportRefused(f"缺少必填的列：{'、'.join(missing)}。"
                            "请下载模板，第一行的列名不要改动，把项目填在模板里再上传。")
    if unknown:
        warnings.append(f"这些列系统不认识，不会导入：{'、'.join(unknown)}。")

    data: list[SheetRow] = []
    for number, values in enumerate(rows, start=header_number + 1):
        cells = {name: values[index] for index, name in positions.items()
                 if index < len(values) and cell_text(values[index]) is not None}
        if not cells:
            continue
        data.append(SheetRow(number=number, cells=cells))
        if len(data) > MAX_ROWS:
            raise ImportRefused(f"一次最多导入{MAX_ROWS}行，这个文件超过了。请分成几个文件上传。")
    if not data:
        raise ImportRefused(f"表格里没有项目。请从第{header_number + 1}行起，每行填一个项目。")
    return SheetContent(letters=letters, labels=found_labels, rows=data, warnings=warnings)


# --- Checking -----------------------------------------------------------------------------


def _form_values(cells: dict[str, Any]) -> dict[str, str | None]:
    """A row as the strings the web form would send."""
    values = {name: cell_text(raw) for name, raw in cells.items() if name != CONTRACTOR}
    subcontractors = values.get("subcontractors")
    if subcontractors:
        # In one cell, "；" separates firms; within a line the service splits on commas.
        values["subcontractors"] = re.sub(r"[;；]", "\n", subcontractors)
    pay_day = values.get("pay_day")
    if pay_day:
        values["pay_day"] = re.sub(r"^每月|[日号]$", "", pay_day.strip()).strip()
    return values


def _same_project_key(name: str | None, address: str | None) -> tuple[str, str] | None:
    if not name or not address:
        return None
    return (_label_key(name).casefold(), _label_key(address).casefold())


def _contractors_by_name(session: Session, names: Iterable[str]) -> dict[str, list[Contractor]]:
    wanted = sorted(set(names))
    found: dict[str, list[Contractor]] = {name: [] for name in wanted}
    if wanted:
        for contractor in session.scalars(select(Contractor).where(Contractor.name.in_(wanted))
                                          .order_by(Contractor.id)):
            found.setdefault(contractor.name, []).append(contractor)
    return found


def _existing_projects(session: Session, contractor_ids: set[int]) -> set[tuple[int, str, str]]:
    if not contractor_ids:
        return set()
    rows = session.execute(select(Project.contractor_id, Project.name, Project.address)
                           .where(Project.contractor_id.in_(sorted(contractor_ids)),
                                  Project.deleted_at.is_(None)))
    keys = set()
    for contractor_id, name, address in rows:
        key = _same_project_key(name, address)
        if key is not None:
            keys.add((contractor_id, *key))
    return keys


def check_workbook(session: Session, content: bytes, *,
                   contractor: Contractor | None) -> ImportCheck:
    """Read and check every row. `contractor` None: an administrator's file, with a
    施工总承包单位 column naming each row's contractor."""
    for_admin = contractor is None
    sheet = read_sheet(content, for_admin=for_admin,
                       contractor_name=contractor.name if contractor else None)
    columns = {column.field: column for column in import_columns(for_admin=for_admin)}
    order = list(columns)
    check = ImportCheck(digest=file_digest(content), rows=len(sheet.rows),
                        warnings=list(sheet.warnings))

    def problem(row: int, name: str, message: str) -> tuple[int, RowProblem]:
        label = sheet.labels.get(name) or (columns[name].label if name in columns else name)
        return (order.index(name) if name in order else len(order),
                RowProblem(row=row, field=name, column=label.rstrip("*＊ "),
                           letter=sheet.letters.get(name), message=message))

    if contractor is None:
        by_name = _contractors_by_name(session, (
            text for row in sheet.rows
            if (text := clean_text(row.cells.get(CONTRACTOR))) is not None))
        owners = {found.id for same_name in by_name.values() for found in same_name}
    else:
        by_name, owners = {}, {contractor.id}
    existing = _existing_projects(session, owners)
    first_seen: dict[tuple[str, str], int] = {}

    for row in sheet.rows:
        problems: list[tuple[int, RowProblem]] = []
        owner = contractor
        if for_admin:
            owner = None
            owner_name = clean_text(row.cells.get(CONTRACTOR))
            matches = by_name.get(owner_name, []) if owner_name else []
            if owner_name is None:
                problems.append(problem(row.number, CONTRACTOR, "请填写施工总承包单位名称。"))
            elif not matches:
                problems.append(problem(row.number, CONTRACTOR,
                                        "系统里没有叫这个名字的施工总承包单位，名称要完全一样。"))
            elif len(matches) > 1:
                problems.append(problem(row.number, CONTRACTOR,
                                        "系统里有几家同名的施工总承包单位，这个项目请在网页上新建。"))
            else:
                owner = matches[0]
        values = _form_values(row.cells)
        data: ProjectInput | None = None
        try:
            data = parse_project(values, session)
        except ProjectInvalid as invalid:
            for name, message in invalid.errors.items():
                if name in PROJECT_PHONE_FIELDS and isinstance(row.cells.get(name), int | float):
                    message += "（Excel把这个号码当成了数字，开头的0可能丢了。" \
                               "请把这一列设成“文本”格式后重新填写。）"
                elif name == "region_code":  # the form's wording speaks of a drop-down list
                    message = (f"没有“{values[name]}”这个区县代码" if values.get(name) else
                               "请填写所在区县代码") + f"，代码见模板的“{HELP_SHEET}”表。"
                problems.append(problem(row.number, name, message))
        key = _same_project_key(clean_text(values.get("name")), clean_text(values.get("address")))
        if key is not None:
            if key in first_seen:
                problems.append(problem(row.number, "name",
                                        f"和第{first_seen[key]}行是同一个项目（项目名称和地址都一样）。"))
            else:
                first_seen[key] = row.number
            if owner is not None and (owner.id, *key) in existing:
                problems.append(problem(row.number, "name",
                                        "系统里已经有这个项目（项目名称和地址都一样），不会重复导入。"))
        if problems:
            problems.sort(key=lambda item: item[0])  # in the order of the columns
            check.problems.extend(item for _position, item in problems)
        elif data is not None and owner is not None:
            check.good.append(GoodRow(row=row.number, data=data, contractor=owner))
    return check


# --- Importing ----------------------------------------------------------------------------


def import_projects(session: Session, check: ImportCheck, *,
                    only_good: bool = False) -> list[Project]:
    """Create the checked projects, each with one board so it can be printed at once.
    Flushes, never commits: the caller commits once, so the import is all or nothing."""
    if check.problems and not only_good:
        raise DomainError(f"文件里有{len(check.bad_rows)}行有问题，没有导入。")
    projects = []
    for row in check.good:
        project = save_project(session, row.data, contractor=row.contractor)
        issue_board(session, project)
        projects.append(project)
    return projects


# --- The template -------------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="EEEEEE")
REQUIRED_FILL = PatternFill("solid", fgColor="FDE2E2")
EXAMPLE_FILL = PatternFill("solid", fgColor="E6F2FF")
EXAMPLE = {
    "name": "科技园二期工程",
    "address": "深圳市南山区科苑路8号",
    "construction_unit_name": "深圳某某置业有限公司",
    "construction_unit_phone": "0755-26001234",
    "project_office_name": "科技园二期工程项目部",
    "project_manager_name": "周某某",
    "project_office_phone": "0755-88886667",
    "subcontractors": "深圳某某劳务有限公司，钢筋，0755-26660001；深圳某某建筑劳务有限公司，木工，13800138000",
    "authority_name": "南山区住房和建设局",
    "authority_phone": "0755-26652888",
    "labour_manager_name": "李某某",
    "labour_manager_phone": "13800000001",
    "minimum_wage_monthly": "2520",
    "minimum_wage_hourly": "23.7",
    "pay_day": "15",
    "labour_inspection_phone": "0755-26665678",
    "arbitration_name": "南山区劳动人事争议仲裁委员会",
    "arbitration_address": "深圳市南山区仲裁路1号",
    "arbitration_phone": "0755-26668888",
}


def _instructions(for_admin: bool) -> list[str]:
    lines = [
        f"1. 在“{DATA_SHEET}”表里，从第2行起每行填一个项目（工地）。第1行是列名，请不要改动。",
        ("2. 带 * 的列必须填写。其他列可以先空着，导入后再到网页上补充；"
         "但告示牌要等内容全部填齐才能打印（《保障农民工工资支付条例》第三十四条）。"),
        "3. 所在区县代码：填6位数字，见本表下面的列表。",
        "4. 分包单位：每家写“名称，分包内容，电话”；一格里有多家时，每行一家（按 Alt+回车 换行），或者用“；”隔开。",
        f"5. 电话：{PHONE_HINT}。",
        "6. 最低工资标准：填数字，单位元；不填则用所在地区的标准。工资支付日：填1到31之间的数字。",
        f"7. 一次最多{MAX_ROWS}行，文件不超过{MAX_FILE_BYTES // 1024 // 1024}MB。",
        ("8. 上传后系统逐行检查。只要有一行有问题，就一个也不导入，并列出每个问题的行号、列名和原因；"
         "您可以改好后重新上传，也可以选择只导入没有问题的行。"),
        "9. 系统里已经有的项目（项目名称和地址都一样）不会重复导入。",
        "10. 导入后，每个项目自动生成一块告示牌（二维码），可以马上打印。",
        "11. 下面的填写示例只是参考，写在本表里不会被导入。",
    ]
    if for_admin:
        lines.insert(3, "3a. 施工总承包单位：填系统里已有的单位名称，要完全一样，见本表下面的列表。")
    return lines


def template_workbook(session: Session, *, for_admin: bool) -> bytes:
    """The import template: the data sheet with headers only, and a sheet of instructions,
    an example and the region codes (and, for an administrator, the contractors' names)."""
    columns = import_columns(for_admin=for_admin)
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = DATA_SHEET
    help_sheet = workbook.create_sheet(HELP_SHEET)

    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.heading)
        cell.font = Font(bold=True, color="B00000" if column.required else "000000")
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        if column.hint:
            comment = Comment(column.hint, "农民工讨薪绿色通道")
            comment.width, comment.height = 240, 80
            cell.comment = comment
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        if column.text_format:
            sheet.column_dimensions[letter].number_format = "@"
    sheet.row_dimensions[1].height = 36
    sheet.freeze_panes = "A2"

    help_sheet.column_dimensions["A"].width = 16
    help_sheet.column_dimensions["B"].width = 40
    help_sheet["A1"] = "项目批量导入说明"
    help_sheet["A1"].font = Font(bold=True, size=14)
    row = 3
    for line in _instructions(for_admin):
        help_sheet.cell(row=row, column=1, value=line)
        row += 1

    row += 1
    help_sheet.cell(row=row, column=1, value="填写示例（只是参考，写在本表里不会被导入）").font = Font(bold=True)
    row += 1
    regions = list(session.scalars(select(Region).order_by(Region.code)))
    counties = [region.code for region in regions if region.level == "county"]
    example_region = (counties or [region.code for region in regions] or ["440305"])[0]
    for index, column in enumerate(columns, start=1):
        head = help_sheet.cell(row=row, column=index, value=column.heading)
        head.font = Font(bold=True)
        head.fill = HEADER_FILL
        if column.field == "region_code":
            value: str | None = example_region
        elif column.field == CONTRACTOR:
            value = "深圳某某建设集团有限公司"
        else:
            value = EXAMPLE.get(column.field)
        example = help_sheet.cell(row=row + 1, column=index, value=value)
        example.fill = EXAMPLE_FILL
        example.font = Font(italic=True, color="555555")
        example.number_format = "@"
    row += 3

    help_sheet.cell(row=row, column=1, value="行政区划代码（填在“所在区县代码”列）").font = Font(bold=True)
    row += 1
    for col, text in ((1, "代码"), (2, "名称")):
        help_sheet.cell(row=row, column=col, value=text).font = Font(bold=True)
    row += 1
    first_region = row
    for region in regions:
        help_sheet.cell(row=row, column=1, value=region.code).number_format = "@"
        help_sheet.cell(row=row, column=2, value=region.name)
        row += 1
    letters = {column.field: get_column_letter(i) for i, column in enumerate(columns, start=1)}
    if regions:
        _list_validation(sheet, letters["region_code"],
                         f"'{HELP_SHEET}'!$A${first_region}:$A${row - 1}",
                         "请填“说明”表里列出的6位区县代码。")

    if for_admin:
        contractors = list(session.scalars(select(Contractor).order_by(Contractor.name)))
        row += 1
        help_sheet.cell(row=row, column=1,
                        value="施工总承包单位（名称要完全一样）").font = Font(bold=True)
        row += 1
        first_contractor = row
        for contractor in contractors:
            help_sheet.cell(row=row, column=1, value=contractor.name)
            row += 1
        if contractors:
            _list_validation(sheet, letters[CONTRACTOR],
                             f"'{HELP_SHEET}'!$A${first_contractor}:$A${row - 1}",
                             "请填“说明”表里列出的施工总承包单位名称。")

    return workbook_bytes(workbook)  # names and addresses typed by users: never formulas


def _list_validation(sheet: Worksheet, letter: str, source: str, message: str) -> None:
    validation = DataValidation(type="list", formula1=source, allow_blank=True,
                                showErrorMessage=True, errorTitle="请从列表中选择", error=message)
    validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
    sheet.add_data_validation(validation)
