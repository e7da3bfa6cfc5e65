"""Roles (from the glossary) and what each may do. One table, read by `scoping.restrict`."""

from __future__ import annotations

GRID_WORKER = "grid_worker"
PATROLLER = "patroller"
COUNTY_DISPATCHER = "county_dispatcher"
TOWNSHIP_DISPATCHER = "township_dispatcher"
OFFICER = "officer"
AUXILIARY = "auxiliary"
SECONDED_OFFICER = "seconded_officer"
LEGAL_REVIEWER = "legal_reviewer"
DECIDER = "decider"
TOWNSHIP_ADMIN = "township_admin"
DEPARTMENT_STAFF = "department_staff"
SUPERVISOR = "supervisor"
PROCURATOR = "procurator"
ADMIN = "admin"

CHOICES = [
    (GRID_WORKER, "网格员"),
    (PATROLLER, "巡查员"),
    (COUNTY_DISPATCHER, "县级调度员"),
    (TOWNSHIP_DISPATCHER, "乡镇调度员"),
    (OFFICER, "执法人员"),
    (AUXILIARY, "辅助人员"),
    (SECONDED_OFFICER, "派驻执法人员"),
    (LEGAL_REVIEWER, "法制审核员"),
    (DECIDER, "负责人"),
    (TOWNSHIP_ADMIN, "乡镇管理员"),
    (DEPARTMENT_STAFF, "部门工作人员"),
    (SUPERVISOR, "司法局监督人员"),
    (PROCURATOR, "检察官（只读）"),
    (ADMIN, "县级系统管理员"),
]
LABELS = dict(CHOICES)

# Where a role's scope lies: its township, its department, or the whole county.
TOWNSHIP_ROLES = frozenset(
    {
        GRID_WORKER,
        PATROLLER,
        TOWNSHIP_DISPATCHER,
        OFFICER,
        AUXILIARY,
        SECONDED_OFFICER,
        LEGAL_REVIEWER,
        DECIDER,
        TOWNSHIP_ADMIN,
    }
)
DEPARTMENT_ROLES = frozenset({DEPARTMENT_STAFF})
COUNTY_ROLES = frozenset({COUNTY_DISPATCHER, SUPERVISOR, PROCURATOR, ADMIN})
# Roles that only ever read.
READ_ONLY_ROLES = frozenset({PROCURATOR})

# Capabilities beyond reading one's scope. Views and services ask `has_capability`.
CAPABILITIES: dict[str, frozenset[str]] = {
    "catalogue.edit_county": frozenset({ADMIN}),
    "catalogue.pick_items": frozenset({TOWNSHIP_ADMIN, ADMIN}),
    "catalogue.publish": frozenset({TOWNSHIP_ADMIN, ADMIN}),
    "catalogue.manage_entrustments": frozenset({ADMIN}),
    "grid.manage": frozenset({ADMIN, TOWNSHIP_ADMIN}),
    "grid.import": frozenset({ADMIN}),
    "dispatch.report": frozenset(
        {
            GRID_WORKER,
            PATROLLER,
            COUNTY_DISPATCHER,
            TOWNSHIP_DISPATCHER,
            OFFICER,
            AUXILIARY,
            SECONDED_OFFICER,
            TOWNSHIP_ADMIN,
            ADMIN,
        }
    ),
    "dispatch.dispatch": frozenset({COUNTY_DISPATCHER, TOWNSHIP_DISPATCHER, ADMIN}),
    "dispatch.handle": frozenset(
        {OFFICER, SECONDED_OFFICER, TOWNSHIP_DISPATCHER, DEPARTMENT_STAFF, DECIDER, TOWNSHIP_ADMIN}
    ),
    "dispatch.whistle": frozenset({TOWNSHIP_DISPATCHER, TOWNSHIP_ADMIN, DECIDER}),
    "dispatch.discipline": frozenset({COUNTY_DISPATCHER, SUPERVISOR, ADMIN}),
    "dispatch.playbooks": frozenset({COUNTY_DISPATCHER, ADMIN}),
    "dispatch.limits": frozenset({COUNTY_DISPATCHER, ADMIN}),
    # A department's own staff also see the reports a whistle called their department to.
    "dispatch.called_department": DEPARTMENT_ROLES,
    # The county's list of departments absent from a whistle call.
    "dispatch.absent": COUNTY_ROLES,
    "cases.handle": frozenset({OFFICER, SECONDED_OFFICER}),
    "cases.assist": frozenset({OFFICER, SECONDED_OFFICER, AUXILIARY}),
    "cases.legal_review": frozenset({LEGAL_REVIEWER}),
    "cases.decide": frozenset({DECIDER}),
    "cases.manage_team": frozenset({TOWNSHIP_ADMIN, ADMIN}),
    "cases.deadlines": frozenset({OFFICER, SECONDED_OFFICER, AUXILIARY, LEGAL_REVIEWER, DECIDER}),
    # The step forms of a case page: whoever assists, decides or reviews (see `reads_only` too).
    "cases.steps": frozenset({OFFICER, SECONDED_OFFICER, AUXILIARY, LEGAL_REVIEWER, DECIDER}),
    "supervision.review": frozenset({SUPERVISOR, ADMIN}),
    # Remedies (复议、诉讼、争议化解) on a case: its township's staff, or the justice bureau.
    "supervision.remedies": frozenset(
        {OFFICER, SECONDED_OFFICER, AUXILIARY, DECIDER, TOWNSHIP_ADMIN, SUPERVISOR, ADMIN}
    ),
    "supervision.procuratorate": frozenset({PROCURATOR}),
    # The procuratorate's page: the county's decisions and the clue exchange (township staff too).
    "supervision.procuratorate_page": frozenset({PROCURATOR, SUPERVISOR, ADMIN}),
    # Clues (线索移送): the procuratorate's side sends to townships and answers clues sent to it;
    # a township leader or the justice bureau sends to it; a township leader answers its clues.
    "supervision.procuratorate_clues": frozenset({PROCURATOR}),
    "supervision.clue_to_procuratorate": frozenset({TOWNSHIP_ADMIN, DECIDER, SUPERVISOR}),
    "supervision.answer_clue": frozenset({TOWNSHIP_ADMIN, DECIDER}),
    "supervision.letters": frozenset({SUPERVISOR, PROCURATOR}),
    # Each kind of letter by its issuer: the justice bureau its letters, the procuratorate its
    # recommendations (the kinds of `supervision.Letter`); the issuer also assesses the reply.
    "supervision.issue_letter.supervision": frozenset({SUPERVISOR}),
    "supervision.issue_letter.rectification": frozenset({SUPERVISOR}),
    "supervision.issue_letter.procuratorial": frozenset({PROCURATOR}),
    "supervision.reply": frozenset({TOWNSHIP_ADMIN, DECIDER}),
    "supervision.citizen": frozenset({SUPERVISOR}),
    "supervision.inspect": frozenset({OFFICER, SECONDED_OFFICER, TOWNSHIP_ADMIN, DECIDER}),
    "supervision.plan": frozenset({TOWNSHIP_ADMIN, DECIDER, ADMIN}),
    "org.manage_users": frozenset({ADMIN}),
    "core.manage_calendar": frozenset({ADMIN}),
    "documents.view": frozenset(
        {
            OFFICER,
            AUXILIARY,
            SECONDED_OFFICER,
            LEGAL_REVIEWER,
            DECIDER,
            TOWNSHIP_ADMIN,
            SUPERVISOR,
            PROCURATOR,
            ADMIN,
        }
    ),
    "documents.generate": frozenset({OFFICER, SECONDED_OFFICER, LEGAL_REVIEWER, DECIDER, TOWNSHIP_ADMIN}),
    "documents.settings": frozenset({TOWNSHIP_ADMIN, ADMIN}),
}


def has_capability(user, capability: str, *, role_only: bool = False) -> bool:
    """Whether an active user holds `capability`: a superuser holds every one, unless `role_only`,
    where the user speaks for a party (the procuratorate, a township leader) and a superuser
    account speaks only for its own role."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser and not role_only:
        return True
    return user.role in CAPABILITIES.get(capability, frozenset())


def holders(capability: str) -> list[str]:
    """The roles holding `capability`, in the order of `CHOICES` (for messages naming them)."""
    held = CAPABILITIES.get(capability, frozenset())
    return [role for role, _ in CHOICES if role in held]


def reads_only(user) -> bool:
    """Whether the user's role only ever reads (the procuratorate), a superuser account's too."""
    return user.role in READ_ONLY_ROLES
