from django.urls import path

from zhifa.web.cases import views
from zhifa.web.context import register

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="new"),
    path("deadlines/", views.my_deadlines, name="deadlines"),
    path("team/", views.team, name="team"),
    path("team/<int:pk>/", views.officer_detail, name="officer"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence"),
    path("exchange/", views.exchange, name="exchange"),
    path("<int:pk>/", views.case_detail, name="detail"),
]

register("案件", "web:cases:list", None)
register("我的期限", "web:cases:deadlines", "cases.deadlines")
register("执法队伍", "web:cases:team", None)
