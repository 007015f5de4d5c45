"""Password validators beyond Django's (listed in settings.AUTH_PASSWORD_VALIDATORS).

Django's own give length, "not common" and "not like the username"; these add the 等保
composition rule (3 of 4 character classes) and the history (no reuse of the last N), which
also records every new password and so gives the password its age.

The composition rule and the forced change conflict with OWASP ASVS 5.0 (6.2.5, 6.2.10); 等保
is the legal baseline here, so it is the default (both are settings).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone

if TYPE_CHECKING:
    from .models import User

CLASSES = (
    ("大写字母", lambda c: c.isupper()),
    ("小写字母", lambda c: c.islower()),
    ("数字", lambda c: c.isdigit()),
    ("符号", lambda c: not c.isalnum()),
)


def character_classes(password: str) -> int:
    """How many of upper case, lower case, digits and symbols ``password`` uses."""
    return sum(1 for _, test in CLASSES if any(test(c) for c in password))


class CharacterClassesValidator:
    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: User | None = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                f"密码须包含大写字母、小写字母、数字、符号四类中的至少 {self.min_classes} 类。",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return f"至少包含大写字母、小写字母、数字、符号中的 {self.min_classes} 类。"


class PasswordHistoryValidator:
    """No reuse of the last ``history`` passwords; ``password_changed`` records the new hash."""

    def __init__(self, history: int = 5) -> None:
        self.history = history

    def _recent(self, user: User) -> list[str]:
        from .models import PasswordHistory

        hashes = list(
            PasswordHistory.objects.filter(user_id=user.pk)
            .order_by("-created_at", "-id")
            .values_list("password", flat=True)[: self.history]
        )
        # Accounts from before the history existed: at least their current password.
        if not hashes and user.password:
            hashes = [user.password]
        return hashes

    def validate(self, password: str, user: User | None = None) -> None:
        if self.history <= 0 or user is None or user.pk is None:
            return
        for encoded in self._recent(user):
            if check_password(password, encoded):
                raise ValidationError(f"不能使用最近 {self.history} 次用过的密码。", code="password_reused")

    def password_changed(self, password: str, user: User | None = None) -> None:
        from .models import PasswordHistory

        if user is None or user.pk is None or not user.has_usable_password():
            return
        PasswordHistory.objects.create(user_id=user.pk, password=user.password, created_at=timezone.now())
        keep = max(self.history, 1)
        stale = PasswordHistory.objects.filter(user_id=user.pk).order_by("-created_at", "-id")[keep:]
        PasswordHistory.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()

    def get_help_text(self) -> str:
        return f"不能与最近 {self.history} 次用过的密码相同。"
