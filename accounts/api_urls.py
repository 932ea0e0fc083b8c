from django.urls import path

from accounts import api

urlpatterns = [
    path("token/", api.TokenObtainView.as_view(), name="api-token"),
    path("token/refresh/", api.TokenRefreshView.as_view(), name="api-token-refresh"),
    path("logout/", api.LogoutView.as_view(), name="api-logout"),
    path("me/", api.MeView.as_view(), name="api-me"),
    path("sessions/", api.SessionListView.as_view(), name="api-sessions"),
    path("sessions/<str:sid>/", api.SessionDetailView.as_view(), name="api-session-detail"),
]
