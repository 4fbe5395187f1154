"""Regions, the offices serving them, contractors and their sites."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wagechannel.db import Base, UTCDateTime, utcnow

LEGAL_AID = "legal_aid"
BUREAU = "bureau"
ORGANISATION_KINDS = {LEGAL_AID: "法律援助中心", BUREAU: "人社部门"}


def region_ancestry(code: str) -> list[str]:
    """GB/T 2260: the code itself, then its city (XXXX00) and province (XX0000), most specific first."""
    chain = [code]
    for prefix_len in (4, 2):
        parent = code[:prefix_len] + "0" * (6 - prefix_len)
        if parent not in chain:
            chain.append(parent)
    return chain


def region_prefix(code: str) -> str:
    """The leading digits every region inside `code` shares: XX for a province, XXXX for a city."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


class Region(Base):
    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    # 当地最低工资标准, kept by an administrator. Standards are set per county tier: a county
    # without one may borrow its city's or province's only once a person confirms it (Project).
    minimum_wage_monthly_fen: Mapped[int | None] = mapped_column(Integer)
    minimum_wage_hourly_fen: Mapped[int | None] = mapped_column(Integer)

    @property
    def level(self) -> str:
        if self.code.endswith("0000"):
            return "province"
        if self.code.endswith("00"):
            return "city"
        return "county"

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"


organisation_region = Table(
    "organisation_region",
    Base.metadata,
    Column("organisation_id", ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
    Column("region_code", ForeignKey("region.code", ondelete="CASCADE"), primary_key=True),
)


class Organisation(Base):
    """A legal-aid centre or an HR bureau; it serves one or more regions."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(128))
    address: Mapped[str | None] = mapped_column(String(256))
    phone: Mapped[str | None] = mapped_column(String(64))
    regions: Mapped[list[Region]] = relationship(secondary=organisation_region)

    @property
    def kind_label(self) -> str:
        return ORGANISATION_KINDS.get(self.kind, self.kind)


class Contractor(Base):
    """施工总承包单位."""

    __tablename__ = "contractor"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    phone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    projects: Mapped[list[Project]] = relationship(back_populates="contractor",
                                                   order_by="Project.id")


class Project(Base):
    """One construction site (项目 / 工地)."""

    __tablename__ = "project"
    __table_args__ = (
        # The orders of the project lists (places.services.visible_projects) and of the
        # silent-boards list: a contractor's by id, an office's county by county.
        Index("ix_project_contractor_id_id", "contractor_id", "id"),
        Index("ix_project_region_code_id", "region_code", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractor.id"))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(256))
    # Art. 34(1) of the wage-payment regulation: the parties a board names.
    construction_unit_name: Mapped[str | None] = mapped_column(String(200))
    construction_unit_phone: Mapped[str | None] = mapped_column(String(32))
    project_office_name: Mapped[str | None] = mapped_column(String(200))
    project_manager_name: Mapped[str | None] = mapped_column(String(64))
    project_office_phone: Mapped[str | None] = mapped_column(String(32))
    # A site without subcontractors says so (the board then prints 无) rather than staying blank.
    no_subcontractors: Mapped[bool] = mapped_column(default=False)
    authority_name: Mapped[str | None] = mapped_column(String(200))
    authority_phone: Mapped[str | None] = mapped_column(String(32))
    labour_manager_name: Mapped[str | None] = mapped_column(String(64))
    labour_manager_phone: Mapped[str | None] = mapped_column(String(32))
    # Art. 34(2): wages. The project's own figures, else its region's (places.services.WageStandard).
    minimum_wage_monthly_fen: Mapped[int | None] = mapped_column(Integer)
    minimum_wage_hourly_fen: Mapped[int | None] = mapped_column(Integer)
    # A city's or province's figure printed for a county that has none: who said it is right
    # here, and exactly which figures they saw. Any other figure makes the confirmation stale.
    wage_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    wage_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    wage_confirmed_region_code: Mapped[str | None] = mapped_column(String(6))
    wage_confirmed_monthly_fen: Mapped[int | None] = mapped_column(Integer)
    wage_confirmed_hourly_fen: Mapped[int | None] = mapped_column(Integer)
    pay_day: Mapped[int | None] = mapped_column(Integer)
    # Art. 34(3): channels. 12333 and 12348 are national; legal aid comes from routing.
    labour_inspection_phone: Mapped[str | None] = mapped_column(String(32))
    arbitration_name: Mapped[str | None] = mapped_column(String(200))
    arbitration_address: Mapped[str | None] = mapped_column(String(256))
    arbitration_phone: Mapped[str | None] = mapped_column(String(32))
    # Under the QR: the national wage-arrears lead platform (全国根治欠薪线索反映平台), on unless
    # the contractor turns it off.
    show_arrears_platform: Mapped[bool] = mapped_column(default=True)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    contractor: Mapped[Contractor] = relationship(back_populates="projects")
    region: Mapped[Region] = relationship()
    wage_confirmed_by: Mapped["User | None"] = relationship()  # noqa: F821
    boards: Mapped[list["Board"]] = relationship(back_populates="project",  # noqa: F821
                                                 order_by="Board.id")
    subcontractors: Mapped[list[Subcontractor]] = relationship(
        back_populates="project", order_by="Subcontractor.position",
        cascade="all, delete-orphan")


class Subcontractor(Base):
    """分包单位 of a project, in the order the contractor lists them."""

    __tablename__ = "subcontractor"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str | None] = mapped_column(String(128))
    phone: Mapped[str | None] = mapped_column(String(32))

    project: Mapped[Project] = relationship(back_populates="subcontractors")
