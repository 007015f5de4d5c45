"""An S3 API for the tests: moto's server, started in this process, a bucket per test.

``s3_storage`` switches ``STORAGES["evidence"]`` and ``STORAGES["uploads"]`` to
``S3BlobStorage`` on a fresh bucket (the options an installation's settings build from
``ZHENGGAI_S3_*``), so the code under test talks HTTP to a real S3 API; the test reads and
tampers with the bucket through boto3, as an operator or an attacker with the keys would.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from zhenggai.settings import s3_storage_options

ACCESS_KEY = "zhenggai-test"
SECRET_KEY = "zhenggai-test-secret"  # moto accepts any key
REGION = "us-east-1"


@dataclass
class Bucket:
    endpoint: str
    name: str
    client: Any

    def keys(self, prefix: str = "") -> list[str]:
        """Every key in the bucket under ``prefix``, sorted."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", ()))

    def read(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.name, Key=key)["Body"].read())

    def write(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=data)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=key)

    def environment(self) -> dict[str, str]:
        """What an installation sets to use this bucket (for servers and commands started by a test)."""
        return {
            "ZHENGGAI_STORAGE": "s3",
            "ZHENGGAI_S3_ENDPOINT_URL": self.endpoint,
            "ZHENGGAI_S3_BUCKET": self.name,
            "ZHENGGAI_S3_ACCESS_KEY": ACCESS_KEY,
            "ZHENGGAI_S3_SECRET_KEY": SECRET_KEY,
            "ZHENGGAI_S3_REGION": REGION,
            "ZHENGGAI_S3_ADDRESSING_STYLE": "path",
        }


def client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )


def storages_for(endpoint: str, bucket: str) -> dict[str, dict[str, Any]]:
    """The two aliases on ``bucket``, as settings.py builds them for ZHENGGAI_STORAGE=s3."""
    options = s3_storage_options(
        bucket=bucket, endpoint_url=endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, region=REGION
    )
    backend = "zhenggai.evidence.storage.S3BlobStorage"
    return {a: {"BACKEND": backend, "OPTIONS": {**options, "location": a}} for a in ("evidence", "uploads")}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a free port of 127.0.0.1, for the whole session (of this worker)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> Bucket:
    """A new, empty bucket."""
    name = f"zg-{uuid.uuid4().hex[:16]}"
    c = client(s3_endpoint)
    c.create_bucket(Bucket=name)
    return Bucket(s3_endpoint, name, c)


@pytest.fixture
def s3_storage(s3_bucket: Bucket, settings: Any) -> Bucket:
    """Evidence and pending uploads in ``s3_bucket`` for this test."""
    settings.STORAGES = {**settings.STORAGES, **storages_for(s3_bucket.endpoint, s3_bucket.name)}
    return s3_bucket
