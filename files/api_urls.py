from rest_framework.routers import SimpleRouter

from files.api import FileViewSet

router = SimpleRouter(use_regex_path=False)
router.register("files", FileViewSet, basename="api-file")

urlpatterns = router.urls
