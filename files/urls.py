from django.urls import path

from files import views

urlpatterns = [
    path("", views.file_list_page, name="file-list"),
    path("upload/", views.upload_page, name="file-upload"),
    path("<int:file_id>/", views.file_detail_page, name="file-detail"),
    path("<int:file_id>/download/", views.download_page, name="file-download"),
    path("<int:file_id>/delete/", views.delete_page, name="file-delete"),
    path("<int:file_id>/retry/", views.retry_page, name="file-retry"),
]
