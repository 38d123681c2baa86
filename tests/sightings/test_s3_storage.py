"""The S3 backend: one request per small write or whole read, and never an overwrite."""

import boto3
import pytest
from django.core.files.base import ContentFile
from moto import mock_aws

from sightings.s3_storage import S3Storage


@pytest.fixture
def storage():
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="photos")
        storage = S3Storage(
            endpoint_url=None,  # moto's in-process mock, whatever the suite's S3 server is
            bucket_name="photos",
            region_name="us-east-1",
            access_key="k",
            secret_key="s",
            file_overwrite=False,
        )
        requests = []
        storage.connection.meta.client.meta.events.register(
            "before-send", lambda request, **kwargs: requests.append(request.method)
        )
        storage.requests = requests
        yield storage


def test_a_small_write_is_one_put_and_a_read_one_get(storage):
    name = storage.save("originals/a.jpg", ContentFile(b"jpeg bytes"))
    assert name == "originals/a.jpg"
    assert storage.read_bytes(name) == b"jpeg bytes"
    assert storage.requests == ["PUT", "GET"]


def test_an_existing_key_is_never_overwritten(storage):
    storage.save("originals/a.jpg", ContentFile(b"first"))
    with pytest.raises(Exception) as raised:
        storage.save("originals/a.jpg", ContentFile(b"second"))
    assert "PreconditionFailed" in str(raised.value)
    assert storage.read_bytes("originals/a.jpg") == b"first"


def test_a_big_write_checks_for_the_name_and_keeps_the_stock_upload(storage):
    big = b"x" * storage.transfer_config.multipart_threshold
    storage.save("exports/big.bin", ContentFile(big))
    assert storage.read_bytes("exports/big.bin") == big
    with pytest.raises(FileExistsError):
        storage.save("exports/big.bin", ContentFile(big))


def test_a_missing_object_reads_as_a_client_error_with_its_code(storage):
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as raised:
        storage.read_bytes("originals/none.jpg")
    assert raised.value.response["Error"]["Code"] == "NoSuchKey"
