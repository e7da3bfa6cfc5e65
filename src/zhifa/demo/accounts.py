"""Demo accounts, one or more per role, all with the same demo password."""

from __future__ import annotations

from zhifa.org import roles

DEMO_PASSWORD = "zhifa-demo-2026"

# username, full name, role, township code, department code
ACCOUNTS: list[tuple[str, str, str, str | None, str | None]] = [
    ("admin", "县系统管理员", roles.ADMIN, None, None),
    ("county_dispatch", "县指挥中心调度员", roles.COUNTY_DISPATCHER, None, None),
    ("supervisor", "司法局监督员", roles.SUPERVISOR, None, None),
    ("procurator", "检察院检察官", roles.PROCURATOR, None, None),
    ("t01_admin", "城关街道管理员", roles.TOWNSHIP_ADMIN, "T01", None),
    ("t01_dispatch", "城关街道调度员", roles.TOWNSHIP_DISPATCHER, "T01", None),
    ("t01_officer1", "王建军", roles.OFFICER, "T01", None),
    ("t01_officer2", "李春梅", roles.OFFICER, "T01", None),
    ("t01_seconded", "赵志强", roles.SECONDED_OFFICER, "T01", None),
    ("t01_aux", "孙小芳", roles.AUXILIARY, "T01", None),
    ("t01_reviewer", "周法审", roles.LEGAL_REVIEWER, "T01", None),
    ("t01_decider", "陈队长", roles.DECIDER, "T01", None),
    ("t01_decider2", "刘副队长", roles.DECIDER, "T01", None),
    ("t01_grid", "刘网格", roles.GRID_WORKER, "T01", None),
    ("t01_patrol", "马巡查", roles.PATROLLER, "T01", None),
    ("t02_admin", "新华街道管理员", roles.TOWNSHIP_ADMIN, "T02", None),
    ("t02_officer1", "郑海涛", roles.OFFICER, "T02", None),
    ("t03_admin", "柳泉镇管理员", roles.TOWNSHIP_ADMIN, "T03", None),
    ("d01_staff", "自然资源局工作人员", roles.DEPARTMENT_STAFF, None, "D01"),
]


def ensure_accounts(county) -> int:
    from zhifa.org.models import Department, Township, User

    created = 0
    for username, full_name, role, tcode, dcode in ACCOUNTS:
        if User.objects.filter(username=username).exists():
            continue
        township = Township.objects.filter(code=tcode).first() if tcode else None
        department = Department.objects.filter(code=dcode).first() if dcode else None
        if (tcode and township is None) or (dcode and department is None):
            continue
        User.objects.create_user(
            username=username,
            password=DEMO_PASSWORD,
            full_name=full_name,
            role=role,
            county=county,
            township=township,
            department=department,
        )
        created += 1
    return created
