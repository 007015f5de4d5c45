"""Path converters of the staff URLs: ``sha256`` is a pending upload's digest."""

from django.urls import register_converter


class DigestConverter:
    regex = "[0-9a-f]{64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(DigestConverter, "sha256")
