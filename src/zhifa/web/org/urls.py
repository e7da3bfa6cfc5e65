from django.urls import path

from zhifa.web.context import register
from zhifa.web.org import views

app_name = "org"

urlpatterns = [
    path("", views.structure, name="structure"),
    path("users/", views.user_list, name="users"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/", views.user_action, name="user_action"),
    path("calendar/", views.calendar_index, name="calendar"),
    path("calendar/<int:year>/", views.calendar_year, name="calendar_year"),
    path("audit/", views.audit_log, name="audit"),
]

register("组织机构", "web:org:structure", None)
register("账号管理", "web:org:users", "org.manage_users")
register("节假日日历", "web:org:calendar", None)
register("审计日志", "web:org:audit", "org.manage_users")
