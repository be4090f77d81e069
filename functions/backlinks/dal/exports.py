"""Export files in S3, handed out through short-lived presigned URLs."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from backlinks.dal.clients import s3_client


@dataclass(frozen=True)
class PresignedDownload:
    url: str
    expires_at: datetime


def content_disposition(filename: str) -> str:
    """Build an attachment header with an ASCII fallback name and the RFC 5987 UTF-8 name."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def put_export(
    bucket: str, key: str, content: bytes, *, content_type: str, filename: str, expiry_seconds: int
) -> PresignedDownload:
    client = s3_client()
    client.put_object(
        Bucket=bucket,
        Key=key,
        Body=content,
        ContentType=content_type,
        ContentDisposition=content_disposition(filename),
        ServerSideEncryption="AES256",
    )
    url = client.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": key,
            "ResponseContentDisposition": content_disposition(filename),
            "ResponseContentType": content_type,
        },
        ExpiresIn=expiry_seconds,
    )
    return PresignedDownload(url=url, expires_at=datetime.now(UTC) + timedelta(seconds=expiry_seconds))
