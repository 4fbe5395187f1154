"""The rule table: every statutory clock of a wage case, each citing its article.

A period starts the day after its trigger (Civil Code art. 201). A period of years or months
ends on the matching day, or the month's last day where there is none (art. 202); a period of
calendar days ends that many days later. A last day on a rest day — a weekend or a public
holiday — moves to the next working day (art. 203; Civil Procedure Law art. 85), which is what
`roll` says; a period of working days always ends on a working day. Days are calendar days
unless the rule says working days (LEGAL.md, introduction).

| code | period | from | source | responsible |
|---|---|---|---|---|
| legal_aid_decision | 7 days (paused while materials are awaited) | application received | Legal Aid Law art. 43 | centre |
| legal_aid_assignment | 3 days | aid granted | art. 43 | centre |
| aid_before_review | window: opens when fewer than 7 days remain on another limit | that limit's last day | art. 44 | centre |
| arbitration_limitation | 1 year | end of employment (or last demand for pay) | LDMAL art. 27 | worker, centre |
| mediation | 15 days | mediation application received | LDMAL art. 14 | lawyer |
| arbitration_acceptance | 5 days | arbitration application received | LDMAL art. 29 | lawyer |
| arbitration_award / _extended | 45 / 60 days | accepted | LDMAL art. 43 | lawyer |
| suit_after_award | 15 days | award served | LDMAL arts. 48, 50 | lawyer |
| inspection_acceptance | 5 working days | complaint received | labour-inspection rules art. 18 | bureau |
| inspection_investigation / _extended | 60 / 90 working days | filed | regulation art. 17 | bureau |
| appeal_after_judgment | 15 days | judgment served | Civil Procedure Law art. 171 | lawyer |
| payment_order_objection | 15 days | order served | Civil Procedure Law art. 227 | lawyer |
| first_contact | 1 working day (service target, configurable) | report received | the centre's standard | centre |
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from wagechannel.deadlines.calendar import add_working_days, roll_to_working_day

DAYS, WORKING_DAYS, YEARS, WINDOW = "days", "working_days", "years", "window"
# Reminder stages (working days before the due day; 0 the day itself); overdue reminders
# follow every working day until someone acts.
DEFAULT_STAGES = (3, 1, 0)


@dataclass(frozen=True)
class Rule:
    code: str
    label: str  # Chinese, as people see it
    amount: int
    unit: str  # days | working_days | years | window
    trigger: str  # Chinese: what starts it
    article: str  # the source, cited
    responsible: str  # centre | lawyer | bureau | worker
    roll: bool = True  # a last day on a rest day moves to the next working day
    stages: tuple[int, ...] = DEFAULT_STAGES


RULES: dict[str, Rule] = {rule.code: rule for rule in (
    Rule("legal_aid_decision", "作出是否给予法律援助的决定", 7, DAYS, "收到法律援助申请",
         "法律援助法第43条（补充材料期间不计入）", "centre"),
    Rule("legal_aid_assignment", "指派法律援助人员", 3, DAYS, "决定给予法律援助",
         "法律援助法第43条", "centre"),
    Rule("aid_before_review", "可先行提供法律援助", 7, WINDOW, "另一期限的最后一天",
         "法律援助法第44条", "centre", roll=False, stages=(0,)),
    Rule("arbitration_limitation", "申请劳动仲裁的时效", 1, YEARS,
         "离职（或最近一次讨要工资）", "劳动争议调解仲裁法第27条", "centre"),
    Rule("mediation", "调解期限（未达成协议可申请仲裁）", 15, DAYS, "收到调解申请",
         "劳动争议调解仲裁法第14条", "lawyer"),
    Rule("arbitration_acceptance", "仲裁委决定是否受理", 5, DAYS, "收到仲裁申请",
         "劳动争议调解仲裁法第29条", "lawyer"),
    Rule("arbitration_award", "仲裁裁决期限", 45, DAYS, "仲裁委受理",
         "劳动争议调解仲裁法第43条", "lawyer"),
    Rule("arbitration_award_extended", "仲裁裁决期限（延长后）", 60, DAYS, "仲裁委受理",
         "劳动争议调解仲裁法第43条", "lawyer"),
    Rule("suit_after_award", "不服裁决向法院起诉", 15, DAYS, "收到仲裁裁决书",
         "劳动争议调解仲裁法第48条、第50条", "lawyer"),
    Rule("inspection_acceptance", "劳动保障监察决定是否受理", 5, WORKING_DAYS, "收到投诉",
         "关于实施《劳动保障监察条例》若干规定第18条", "bureau"),
    Rule("inspection_investigation", "劳动保障监察调查处理", 60, WORKING_DAYS, "立案",
         "劳动保障监察条例第17条", "bureau"),
    Rule("inspection_investigation_extended", "劳动保障监察调查处理（延长后）", 90, WORKING_DAYS,
         "立案", "劳动保障监察条例第17条", "bureau"),
    Rule("appeal_after_judgment", "不服一审判决上诉", 15, DAYS, "收到判决书",
         "民事诉讼法第171条", "lawyer"),
    Rule("payment_order_objection", "债务人对支付令提出异议", 15, DAYS, "收到支付令",
         "民事诉讼法第227条", "lawyer"),
    Rule("first_contact", "首次联系反映人", 1, WORKING_DAYS, "收到反映",
         "法律援助中心服务标准（可配置）", "centre"),
)}

# What the calculator offers: a window's "trigger" is another limit's last day, not an event.
CALCULATOR_RULES: dict[str, Rule] = {code: rule for code, rule in RULES.items()
                                     if rule.unit != WINDOW}


@dataclass(frozen=True)
class Due:
    rule: Rule
    trigger: date
    due: date
    provisional: bool  # reaches a year whose holidays are not yet published

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.rule.code, "from": self.trigger.isoformat(),
                "due": self.due.isoformat(), "provisional": self.provisional,
                "article": self.rule.article}


def add_years(day: date, years: int) -> date:
    """Civil Code art. 202: the matching day, or the last day of that month where none."""
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def due_date(code: str, trigger: date, *, amount: int | None = None,
             paused_days: int = 0) -> Due:
    """The due day of a rule from its trigger. `amount` overrides the rule's period (a
    configurable service target); `paused_days` are added where the law stops the clock (the
    time spent supplying materials, for the legal-aid decision)."""
    rule = RULES[code]
    length = rule.amount if amount is None else amount
    provisional = False
    if rule.unit == YEARS:
        day = add_years(trigger, length)
    elif rule.unit == WORKING_DAYS:
        day, provisional = add_working_days(trigger, length)
    elif rule.unit == WINDOW:  # the first day on which fewer than `length` days remain
        day = trigger - timedelta(days=length - 1)
    else:
        day = trigger + timedelta(days=length + paused_days)
    if rule.roll and rule.unit != WORKING_DAYS:
        day, rolled_provisional = roll_to_working_day(day)
        provisional = provisional or rolled_provisional
    return Due(rule, trigger, day, provisional)
