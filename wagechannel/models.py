"""Every model, imported once so the metadata is complete (Alembic and the factory use this)."""
from wagechannel.accounts.models import ApiToken, AuditEvent, User
from wagechannel.boards.models import Board, BoardScan
from wagechannel.cases.models import (Alert, Assignment, Case, CaseContact, CaseRoute, CaseShare,
                                      Claimant, Referral)
from wagechannel.db import Base
from wagechannel.deadlines.models import CalendarEntry, Deadline, Reminder
from wagechannel.intake.models import EvidenceFile, Lead, LeadMessage
from wagechannel.places.models import (Contractor, Organisation, Project, Region,
                                       Subcontractor)

__all__ = ["CalendarEntry", "Deadline", "Reminder", "Alert", "ApiToken", "Assignment", "AuditEvent", "Base", "CaseContact", "CaseRoute",
           "CaseShare", "Referral", "Board", "BoardScan", "Case", "Claimant", "Contractor", "EvidenceFile", "Lead", "LeadMessage",
           "Organisation", "Project", "Region", "Subcontractor", "User"]
