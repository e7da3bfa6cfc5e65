from django.urls import path

from zhifa.web.context import register
from zhifa.web.dispatch import views

app_name = "dispatch"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.intake, name="intake"),
    path("<int:pk>/", views.detail, name="detail"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("whistles/", views.whistles, name="whistles"),
    path("whistles/<int:pk>/", views.whistle, name="whistle"),
    path("whistles/absent/", views.absent, name="absent"),
    path("track/", views.track, name="track"),
    path("board/", views.board, name="board"),
    path("playbooks/", views.playbook_list, name="playbooks"),
    path("limits/", views.limit_list, name="limits"),
    path("board/weekly.xlsx", views.weekly_export, name="weekly"),
    path("m/", views.mobile, name="mobile"),
    path("m/manifest.webmanifest", views.manifest, name="manifest"),
    path("m/sw.js", views.service_worker, name="sw"),
]

register("事件调度", "web:dispatch:queue", None)
register("吹哨报到", "web:dispatch:whistles", None)
register("调度看板", "web:dispatch:board", None)
