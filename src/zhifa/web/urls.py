from django.urls import include, path

from zhifa.web import views

app_name = "web"

DOMAINS = ["org", "catalogue", "grid", "dispatch", "cases", "documents", "supervision"]

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.ZhifaLoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
] + [path(f"{d}/", include(f"zhifa.web.{d}.urls")) for d in DOMAINS]
