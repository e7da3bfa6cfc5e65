from django.urls import path

from zhifa.web.context import register
from zhifa.web.supervision import (
    disclosure_views,
    findings_views,
    inspection_views,
    metrics_views,
    oversight_views,
    round_views,
    views,
)

app_name = "supervision"

urlpatterns = [
    path("letters/", views.letter_list, name="letters"),
    path("letters/new/", views.letter_create, name="letter_create"),
    path("letters/<int:pk>/", views.letter_detail, name="letter_detail"),
    path("citizens/", views.citizen_list, name="citizens"),
    path("observe/<str:token>/", views.observe, name="observe"),
]

register("监督文书", "web:supervision:letters", None)
register("执法监督员", "web:supervision:citizens", None)

urlpatterns += [
    path("inspections/", inspection_views.visit_list, name="inspections"),
    path("inspections/new/", inspection_views.visit_create, name="inspection_create"),
    path("inspections/<int:pk>/", inspection_views.visit_detail, name="inspection_detail"),
    path("enterprises/", inspection_views.enterprise_list, name="enterprises"),
    path("plans/", inspection_views.plan_list, name="plans"),
    path("plans/<int:pk>/", inspection_views.plan_detail, name="plan_detail"),
    path("scan/<str:token>/", inspection_views.scan, name="scan"),
]

register("行政检查", "web:supervision:inspections", None)

urlpatterns += [
    path("rounds/", round_views.round_list, name="rounds"),
    path("rounds/<int:pk>/", round_views.round_detail, name="round_detail"),
    path("rounds/sheets/<int:pk>/", round_views.sheet_detail, name="sheet_detail"),
]

register("案卷评查", "web:supervision:rounds", None)

urlpatterns += [
    path("public/decisions/", disclosure_views.public_list, name="public_decisions"),
    path("public/decisions/<int:pk>/", disclosure_views.public_detail, name="public_decision"),
    path("disclosures/", disclosure_views.staff_page, name="disclosures"),
]

register("执法公示", "web:supervision:disclosures", None)

urlpatterns += [
    path("metrics/", metrics_views.board, name="metrics"),
    path("metrics/export.xlsx", metrics_views.export, name="metrics_export"),
]

register("考核指标", "web:supervision:metrics", None)

urlpatterns += [
    path("remedies/", oversight_views.remedies, name="remedies"),
    path("evaluations/", oversight_views.evaluations, name="evaluations"),
    path("rate/<str:token>/", oversight_views.rate, name="rate"),
    path("procuratorate/", oversight_views.procuratorate, name="procuratorate"),
]

register("检察监督", "web:supervision:procuratorate", "supervision.procuratorate")

urlpatterns += [path("findings/", findings_views.findings, name="findings")]

register("问题发现", "web:supervision:findings", None)
