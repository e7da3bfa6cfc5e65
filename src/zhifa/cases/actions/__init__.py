"""Every state change of a case, one function each (`do_*`), each in one transaction and audited.

A step is checked before it is stored: the procedure's order, who may record it and the step's
own fields by the procedure table (`zhifa.rules.procedure`, pure); certificates and the three
different people for handling, review and decision; whether the township holds the item on
that day (`zhifa.catalogue.services.holding_on`, the rule of `zhifa.rules.holdings`); the
exchange format's field rules; and finally `zhifa.rules.review.check_step`, which refuses a
step that would itself create a legal defect, with the finding's message citing the article.
After the step the case's live review findings are stored
(`zhifa.cases.services.refresh_findings`).

The actions by family: `opening` (open a case), `events` (record a step), `deciding` (file,
legal review, decide), `closing` (close, transfer); `_gate` holds what they share. Import them
from here: ``from zhifa.cases.actions import do_add_event``.
"""

from __future__ import annotations

from zhifa.cases.actions._gate import StaleState, StepRefused, state_of
from zhifa.cases.actions.closing import do_close, do_transfer
from zhifa.cases.actions.deciding import do_decide, do_file, do_legal_review, standard_remedy
from zhifa.cases.actions.events import do_add_event
from zhifa.cases.actions.opening import do_open_case, do_open_case_from_report

__all__ = [
    "StaleState",
    "StepRefused",
    "do_add_event",
    "do_close",
    "do_decide",
    "do_file",
    "do_legal_review",
    "do_open_case",
    "do_open_case_from_report",
    "do_transfer",
    "standard_remedy",
    "state_of",
]
