from rest_framework.routers import DefaultRouter

from zhifa.api.documents.views import DocumentViewSet

router = DefaultRouter()
router.register("documents", DocumentViewSet, basename="documents-document")

urlpatterns = router.urls
