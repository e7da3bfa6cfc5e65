from django.urls import path

from zhifa.web.context import register
from zhifa.web.supervision import views

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
