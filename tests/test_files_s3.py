"""The same file features with the bytes in S3: a local S3-compatible server (moto's server mode)
runs as a separate process on loopback, and django-storages talks to it over HTTP."""

import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from files.models import UserFile
from tests.conftest import api_tokens, bearer, wait_for_file
from tests.file_samples import pdf_bytes
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

BUCKET = "onyx-test-files"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accepts_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: _accepts_connections(port) or server.poll() is not None,
            timeout=20,
            what="moto's S3 server to start",
        )
        if server.poll() is not None:
            raise RuntimeError("moto's S3 server did not start")
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def s3(s3_endpoint: str, settings: Any) -> Any:
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **CREDENTIALS)
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "default_acl": "private",
                "file_overwrite": False,
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(client: Any) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_upload_read_download_and_delete_with_s3(s3: Any, alice: User, worker: None) -> None:
    api, headers = Client(), bearer(api_tokens(Client(), alice)["access"])
    upload = SimpleUploadedFile("plan.pdf", pdf_bytes("Quarterly target is 9000 units"))
    created = api.post("/api/files/", {"file": upload}, headers=headers)
    assert created.status_code == 201, created.content
    stored = UserFile.objects.for_user(alice).get().storage_name
    assert _keys(s3) == [stored]

    wait_for_file(alice, created.json()["id"])
    file = api.get(f"/api/files/{created.json()['id']}/", headers=headers).json()
    assert file["status"] == "ready", file["error"]
    chunks = api.get(f"/api/files/{file['id']}/chunks/", headers=headers).json()
    assert "9000 units" in chunks[0]["text"]

    download = api.get(f"/api/files/{file['id']}/download/", headers=headers)
    assert b"".join(download.streaming_content) == pdf_bytes("Quarterly target is 9000 units")  # type: ignore[attr-defined]
    assert download["Content-Disposition"] == 'attachment; filename="plan.pdf"'

    assert api.delete(f"/api/files/{file['id']}/", headers=headers).status_code == 204
    assert _keys(s3) == []


def test_the_bucket_is_private(s3: Any, s3_endpoint: str, alice: User) -> None:
    import urllib.error
    import urllib.request

    api, headers = Client(), bearer(api_tokens(Client(), alice)["access"])
    api.post("/api/files/", {"file": SimpleUploadedFile("a.txt", b"private")}, headers=headers)
    [key] = _keys(s3)
    acl = s3.get_object_acl(Bucket=BUCKET, Key=key)
    assert all(
        grant["Grantee"].get("URI", "").endswith("AllUsers") is False for grant in acl["Grants"]
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_endpoint}/{BUCKET}/{key}", timeout=5)
    assert refused.value.code == 403
