"""Users and what keeps their accounts safe: password history, login throttles, the second
factor and the server-side sessions.

Usernames are unique whatever their case; a user holds at most one of the three
administrator roles (三员分立), by construction of a single field.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class AdminRole(models.TextChoices):
    """三员分立: the three administrator roles of 等保 level 3; a user holds at most one."""

    NONE = "", "无"
    SYSTEM = "system_admin", "系统管理员"
    SECURITY = "security_admin", "安全管理员"
    AUDIT = "audit_admin", "审计管理员"


class Sensitivity(models.TextChoices):
    """安全标记 (GB/T 22239 8.1.4.2 g, REQ-1.10), lowest first: the label of a record or file, and
    the clearance of a user (the highest label they may see)."""

    PUBLIC = "public", "公开"
    INTERNAL = "internal", "内部"
    SENSITIVE = "sensitive", "敏感"

    @classmethod
    def up_to(cls, clearance: str) -> list[str]:
        """The labels a clearance admits; none for an unknown one (fail closed)."""
        values = cls.values
        return values[: values.index(clearance) + 1] if clearance in values else []

    @classmethod
    def highest(cls, *labels: str) -> str:
        """The highest of the labels; an unknown label counts above every known one."""
        values = cls.values
        return max(labels, key=lambda v: values.index(v) if v in values else len(values))


class UserManager(DjangoUserManager["User"]):
    """Usernames are looked up without regard to case (the constraint makes them unique so)."""

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(username__iexact=username)

    def _create_user(self, username: str, email: str | None, password: str | None, **extra: Any) -> User:
        # django-stubs omit UserManager._create_user, which create_user and create_superuser call.
        user: User = super()._create_user(username, email, password, **extra)  # type: ignore[misc]
        if password is not None:
            # Django hashes directly here, bypassing set_password: record history and age.
            from django.contrib.auth.password_validation import password_changed

            password_changed(password, user)
        return user

    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        """``createsuperuser`` ends here: no superuser in production, and the password policy always.

        Django's command lets the operator bypass the validators and skips them with
        ``--noinput``; validating here closes both paths.
        """
        if settings.PRODUCTION:
            raise ValidationError(
                "生产环境不使用超级用户：请用 zhenggai user-add --admin-role 建立系统、安全、审计管理员。"
            )
        if password is not None:
            from django.contrib.auth.password_validation import validate_password

            validate_password(password, self.model(username=username, email=email or "", **extra))
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    display_name = models.CharField("姓名", max_length=50, blank=True)
    # A single field makes "at most one of the three" true by construction.
    admin_role = models.CharField(
        "管理员角色", max_length=20, choices=AdminRole.choices, default="", blank=True
    )
    # Set when the system administrator sets a password: the user must choose their own at login.
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)
    # 主体安全标记: the highest label of the records and files the user may see (安全管理员 sets it).
    clearance = models.CharField(
        "许可级别", max_length=20, choices=Sensitivity.choices, default=Sensitivity.INTERNAL
    )
    # What an administrator did to the account (a reset), shown at each login until the user has
    # proved it is them (their own new password or second factor): they learn of it, and can
    # report a reset they did not ask for.
    security_notice = models.CharField("账号安全提示", max_length=300, blank=True, default="")

    objects: ClassVar[UserManager] = UserManager()

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="user_username_ci_unique",
                violation_error_message="该用户名已被使用（用户名不区分大小写）。",
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    def clean(self) -> None:
        super().clean()
        self.username = (self.username or "").strip()
        if self.admin_role and self.is_superuser:
            raise ValidationError({"admin_role": "超级用户不能同时担任三员角色。"})


class PasswordHistory(models.Model):
    """The hash of each password a user has had, newest last: no reuse, and the password's age."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "历史密码"
        verbose_name_plural = "历史密码"
        indexes = [models.Index(fields=["user", "-created_at"], name="pwhistory_user_recent")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d}"


class ThrottleScope(models.TextChoices):
    ACCOUNT = "account", "账号"
    ADDRESS = "address", "地址"


class LoginThrottle(models.Model):
    """Failed logins of one account name or one client address, and the lock they caused."""

    scope = models.CharField(max_length=10, choices=ThrottleScope.choices)
    key = models.CharField(max_length=150)
    failures = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "登录失败计数"
        verbose_name_plural = "登录失败计数"
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="login_throttle_unique")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key} ×{self.failures}"


class TOTPDevice(models.Model):
    """A user's authenticator app: the shared secret (encrypted) and the last step used."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp")
    secret = models.CharField(max_length=200)  # SM4-GCM sealed, see totp.seal
    confirmed = models.BooleanField(default=False)
    # Codes of this step and earlier are refused: each code works once.
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "动态口令设备"
        verbose_name_plural = "动态口令设备"

    def __str__(self) -> str:
        return f"TOTP of {self.user_id}"


class UserSession(AbstractBaseSession):
    """A session row that knows its user, so all of a user's sessions can be ended at once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    # django-stubs omit the abstract base's Meta (django/contrib/sessions/base_session.py has it).
    class Meta(AbstractBaseSession.Meta):  # type: ignore[name-defined]
        verbose_name = "会话"
        verbose_name_plural = "会话"

    @classmethod
    def get_session_store_class(cls) -> Any:
        from .sessions import SessionStore

        return SessionStore


class ChangeKind(models.TextChoices):
    """Administrative changes that one administrator asks for and another approves (双人审批)."""

    ADMIN_ROLE = "admin_role", "变更三员角色"
    UNIT_ROLE = "unit_role", "三员改任业务角色"
    RECOVERY = "recovery", "账号恢复（重置密码和动态口令）"


class ChangeStatus(models.TextChoices):
    PENDING = "pending", "待批准"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"


class ChangeRequest(models.Model):
    """A change to an account that takes two administrators: asked by one, approved by another.

    Nothing changes until the approval (services.change_request_approve). ``secret`` holds the
    sealed first half of an account-recovery code until the decision, and is emptied then.
    """

    kind = models.CharField("类型", max_length=20, choices=ChangeKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="账号"
    )
    admin_role = models.CharField(
        "申请的管理员角色", max_length=20, choices=AdminRole.choices, default="", blank=True
    )
    unit = models.ForeignKey(
        "units.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name="单位"
    )
    unit_role = models.CharField("申请的业务角色", max_length=30, default="", blank=True)
    secret = models.CharField(max_length=200, default="", blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    # Null: the operator's console.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "待批准的变更"
        verbose_name_plural = "待批准的变更"
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status="pending"),
                name="change_request_one_pending_per_user",
                violation_error_message="该账号已有一项待批准的变更，请先批准或驳回。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def unit_role_label(self) -> str:
        from zhenggai.units.models import Role

        return Role(self.unit_role).label if self.unit_role in Role.values else self.unit_role


class TokenScope(models.TextChoices):
    """What an API token may do: read only, or read and write (the user's own roles still apply)."""

    READ = "read", "只读"
    WRITE = "write", "读写"


class ApiToken(models.Model):
    """A named credential for the JSON API, owned by one user and narrowed to a unit subtree.

    Only the SHA-256 digest of the secret is kept (the secret has 240 random bits, so a slow
    hash adds nothing); ``prefix`` is its first characters, shown so the owner can tell tokens
    apart. A token acts as its user with the user's roles, but only inside ``unit``'s subtree
    (no unit: an administrator's token, which sees no unit data) and, when ``scope`` is read,
    never writes.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name="用户"
    )
    name = models.CharField("名称", max_length=50)
    scope = models.CharField("权限", max_length=10, choices=TokenScope.choices, default=TokenScope.READ)
    unit = models.ForeignKey(
        "units.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="限定单位",
    )
    prefix = models.CharField("前缀", max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    expires_at = models.DateTimeField("到期时间")
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"
        indexes = [models.Index(fields=["user", "created_at"], name="apitoken_user_created")]

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"
