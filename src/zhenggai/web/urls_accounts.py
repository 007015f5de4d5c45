"""URLs of the accounts app (namespace ``accounts``): the second factor, the user's own
password, and the pages of the system and security administrators."""

from django.urls import path

from .views import tokens as token_views
from .views import users as views

app_name = "accounts"
urlpatterns = [
    path("otp/", views.otp_verify, name="otp-verify"),
    path("otp/enrol/", views.otp_enrol, name="otp-enrol"),
    path("password/", views.password_change, name="password-change"),
    path("me/", views.profile, name="profile"),
    # API tokens (接口令牌): one's own; every live one for the 安全管理员.
    path("tokens/", token_views.token_list, name="tokens"),
    path("tokens/new/", token_views.token_create_view, name="token-create"),
    path("tokens/<int:pk>/revoke/", token_views.token_revoke_view, name="token-revoke"),
    path("tokens/all/", token_views.token_list_all, name="tokens-all"),
    # 系统管理员: accounts; 安全管理员: roles.
    path("users/", views.user_list, name="users"),
    path("users/new/", views.user_create, name="user-create"),
    path("users/<int:pk>/", views.user_detail, name="user-detail"),
    path("users/<int:pk>/active/", views.user_active, name="user-active"),
    path("users/<int:pk>/unlock/", views.user_unlock, name="user-unlock"),
    path("users/<int:pk>/otp-reset/", views.user_otp_reset, name="user-otp-reset"),
    path("users/<int:pk>/password/", views.user_password, name="user-password"),
    path("users/<int:pk>/role/", views.user_role, name="user-role"),
    path("users/<int:pk>/unit-role/", views.user_unit_role, name="user-unit-role"),
    path("users/<int:pk>/recovery/", views.user_recovery, name="user-recovery"),
    # 双人审批: changes one administrator asks for and another approves.
    path("changes/", views.change_requests, name="change-requests"),
    path("changes/<int:pk>/decide/", views.change_request_decide, name="change-request-decide"),
]
