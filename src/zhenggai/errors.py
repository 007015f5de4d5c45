"""Errors a service raises; each carries a message a user can read and the HTTP status
an audience answers it with (the error boundary of ``zhenggai.http`` reads ``http_status``)."""

from __future__ import annotations


class ServiceError(Exception):
    """Base: the request cannot be carried out. ``str(err)`` is for the user."""

    http_status = 400


class NotAllowed(ServiceError):
    """The user holds no role that allows this action (403)."""

    http_status = 403


class TransitionRefused(ServiceError):
    """The object is not in a state from which this action exists (409)."""

    http_status = 409


class StaleEdit(ServiceError):
    """Someone else changed the object since the page was loaded (409)."""

    http_status = 409

    def __init__(
        self, message: str = "已被他人修改：该措施在您打开页面后已被修改，请刷新后重新编辑。"
    ) -> None:
        super().__init__(message)


class InvalidInput(ServiceError):
    """Input that cannot be used; ``field`` names the form field when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Gone(ServiceError):
    """The object was deleted since the page was loaded (409: the page is out of date)."""

    http_status = 409


class DuplicateSubmission(ServiceError):
    """The same form was sent twice (back and resubmit); ``existing`` is what the first one made."""

    http_status = 409

    def __init__(self, message: str, *, existing: object) -> None:
        super().__init__(message)
        self.existing = existing
