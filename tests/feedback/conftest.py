"""Fixtures of the feedback tests: a small round of unit A, a citizen's submission, clients."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.web.conftest import PDF, World, build_round

PHONE = "13812345678"
NAME = "欧阳明华"
EMAIL = "Zhang.San@Example.com"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def world(personas: Any) -> World:
    return build_round(personas)


@pytest.fixture
def client_for(db: Any) -> Callable[[Any], Client]:
    def make(user: Any) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return make


def pdf(name: str = "现场照片.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture
def submit(world: World) -> Callable[..., Any]:
    """Send a feedback on the world's round (each call from its own address unless given)."""
    from zhenggai.feedback import services

    counter = iter(range(1, 10_000))

    def send(**overrides: Any) -> Any:
        fields: dict[str, Any] = {
            "round": world.round,
            "token": services.form_token(round=world.round),
            "content": "路口信号灯长期故障，整改后又坏了。",
            "name": NAME,
            "phone": PHONE,
            "email": EMAIL,
            "consent": True,
            "consent_publish": False,
            "client_ip": f"10.0.0.{next(counter)}",
        }
        fields.update(overrides)
        return services.feedback_submit(**fields)

    return send


def feedback_of(submitted: Any) -> Any:
    from zhenggai.feedback.models import Feedback

    return Feedback.objects.get(tracking=submitted.tracking)


def stream(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)
