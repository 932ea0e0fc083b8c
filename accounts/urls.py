from django.urls import path

from accounts import views

urlpatterns = [
    path("login/", views.login_page, name="login"),
    path("logout/", views.logout_page, name="logout"),
    path("signup/", views.signup_page, name="signup"),
    path("account/", views.account_page, name="account"),
    path("account/password/", views.change_password_page, name="account-password"),
    path("account/preferences/", views.preferences_page, name="account-preferences"),
    path("account/sessions/", views.sessions_page, name="account-sessions"),
    path(
        "account/sessions/revoke-others/",
        views.revoke_other_sessions_page,
        name="account-sessions-revoke-others",
    ),
    path(
        "account/sessions/<str:sid>/revoke/",
        views.revoke_session_page,
        name="account-session-revoke",
    ),
]
