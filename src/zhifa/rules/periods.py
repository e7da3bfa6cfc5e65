"""The statutory periods, each defined once (LEGAL-RULES.md §2–§5).

Everything that counts, prints or checks one of these periods imports it from here: the
deadline functions (`zhifa.rules.deadlines`), the review rules (`zhifa.rules.review`), the case
actions (`zhifa.cases.actions`) and the documents (`zhifa.documents.layouts`). Calendar days
unless the name says WORKDAYS (处罚法 第85条, 强制法 第69条: periods of ten days or less are
working days); months and years by 民法典 第202条.
"""

from __future__ import annotations

from decimal import Decimal

# ---- 行政处罚法 (处罚法) ------------------------------------------------------------------------

DECISION_LIMIT_DAYS = 90  # 处罚法 第60条: decided within 90 days of filing (no roll-forward)
HEARING_REQUEST_WORKDAYS = 5  # 处罚法 第64条第1项, 第85条: a hearing is asked for within 5 working days
SERVICE_WORKDAYS = 7  # 处罚法 第61条, 第85条: decision served on an absent party within 7 working days
PAYMENT_DAYS = 15  # 处罚法 第67条第3款: a fine is paid within 15 days of service (rolled forward)
SURCHARGE_PERCENT = 3  # 处罚法 第72条第1款第1项: 加处罚款 3 % of the fine a day, capped at the fine
SURCHARGE_RATE = Decimal(SURCHARGE_PERCENT) / 100
# The statement period (陈述、申辩) a prior notice gives, in working days: the law fixes none
# (处罚法 第44条, 第45条); project choice, docs/case-gate.md (PEN-NOTICE-PERIOD).
STATEMENT_DAYS_MIN, STATEMENT_DAYS_MAX = 1, 30
STATEMENT_DAYS_DEFAULT = HEARING_REQUEST_WORKDAYS  # a notice's default: the hearing-request period
LIMITATION_YEARS = 2  # 处罚法 第36条: discovered within 2 years of the violation's end
LIMITATION_YEARS_GRAVE = 5  # 处罚法 第36条: 5 years for grave harm to life, health, financial safety

# ---- 国办发〔2018〕118号 -------------------------------------------------------------------------

DISCLOSURE_WORKDAYS = 7  # 118号: a general-procedure penalty decision is published within 7 working days

# ---- 行政强制法 (强制法) ------------------------------------------------------------------------

SEIZURE_DAYS = 30  # 强制法 第25条第1款: 查封、扣押 at most 30 days
SEIZURE_EXTENSION_MAX_DAYS = 30  # 强制法 第25条第1款: one extension, at most 30 days, approved by the head
REMINDER_WORKDAYS = 10  # 强制法 第35条, 第54条, 第69条: 催告 gives 10 working days before applying to court
COURT_WINDOW_MONTHS = 3  # 强制法 第53条; 行诉解释 第156条: apply to court within 3 months after L(served)

# ---- remedies (复议法, 诉讼法, 行诉解释) -----------------------------------------------------------

RECONSIDERATION_DAYS = 60  # 复议法 第20条: 60 days to apply for reconsideration
LITIGATION_MONTHS = 6  # 诉讼法 第46条: 6 months to sue
LITIGATION_MONTHS_NO_NOTICE = 12  # 行诉解释 第64条: 1 year when the remedy notice is incomplete
