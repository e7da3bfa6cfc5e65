from django.urls import path

from zhifa.web.context import register
from zhifa.web.documents import views

app_name = "documents"

urlpatterns = [
    path("", views.index, name="index"),
    path("case/<int:case_pk>/", views.case_documents, name="case"),
    path("settings/", views.settings, name="settings"),
    path("<int:pk>/<str:fmt>/", views.download, name="download"),
]

register("法律文书", "web:documents:index", "documents.view")
