from django.urls import path

from zhifa.web.catalogue import views
from zhifa.web.context import register

app_name = "catalogue"

urlpatterns = [
    path("", views.index, name="index"),
    path("items/new/", views.item_form, name="item_new"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("items/<int:pk>/edit/", views.item_form, name="item_edit"),
    path("items/<int:pk>/tiers/", views.item_tiers, name="item_tiers"),
    path("versions/", views.versions, name="versions"),
    path("versions/new/", views.draft_create, name="draft_create"),
    path("versions/<int:pk>/", views.version_detail, name="version"),
    path("versions/<int:pk>/pick/", views.version_pick, name="pick"),
    path("versions/<int:pk>/unpick/", views.version_unpick, name="unpick"),
    path("versions/<int:pk>/publish/", views.version_publish, name="publish"),
    path("versions/<int:pk>/discard/", views.version_discard, name="discard"),
    path("compare/", views.compare, name="compare"),
    path("entrustments/", views.entrustments, name="entrustments"),
    path("entrustments/new/", views.entrustment_form, name="entrustment_new"),
    path("entrustments/<int:pk>/", views.entrustment_detail, name="entrustment"),
    path("entrustments/<int:pk>/edit/", views.entrustment_edit, name="entrustment_edit"),
    path("import/", views.import_page, name="import"),
    path("export.xlsx", views.export, name="export"),
    path("public/", views.public_index, name="public_index"),
    path("public/<str:code>/", views.public_township, name="public"),
]

register("执法事项清单", "web:catalogue:index", None)
register("清单版本", "web:catalogue:versions", None)
register("委托管理", "web:catalogue:entrustments", None)
