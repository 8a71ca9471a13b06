"""BlobStore on an S3-compatible service (MinIO, AWS S3, Cloudflare R2, moto). boto3 lives only here.

Two boto3 clients: ``_s3`` talks to ``endpoint`` (the address the hub reaches) and makes every call;
``_public`` is never used for a request, only to *sign* presigned URLs for ``public_endpoint`` (the
address clients reach). A SigV4 signature covers the Host header, so a URL must be signed for the host the
client will use: rewriting the host of a URL signed for the internal endpoint would break it.

Every connection failure or 5xx answer from S3 becomes ``StorageUnavailableError`` (503 to the client, who
may retry); a missing key becomes ``NotFoundError``.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from kohakuhub.errors import ConfigError, IntegrityError, NotFoundError, StorageUnavailableError
from kohakuhub.storage.base import BlobStore, PendingUpload
from kohakuhub.storage.local import validate_key, validate_range

log = logging.getLogger("kohakuhub.storage.s3")

T = TypeVar("T")
GiB = 1 << 30
# CopyObject copies up to 5 GiB in one call; larger objects need a multipart copy.
_COPY_CONFIG = TransferConfig(multipart_threshold=5 * GiB, multipart_chunksize=512 << 20, max_concurrency=8)
_PUT_CONFIG = TransferConfig(multipart_threshold=64 << 20, multipart_chunksize=64 << 20, max_concurrency=8)
_HASH_CHUNK = 8 << 20
_MISSING_CODES = {"404", "NoSuchKey", "NotFound", "NoSuchUpload"}
_PART_CODES = {"InvalidPart", "InvalidPartOrder", "EntityTooSmall", "MalformedXML"}


_session: boto3.session.Session | None = None
_session_lock = threading.Lock()


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


class S3BlobStore(BlobStore):
    """Objects are S3 objects ``<bucket>/<key>``; uploads of large files go straight from clients to S3."""

    direct_uploads = True

    def __init__(self, *, bucket: str, endpoint: str = "", public_endpoint: str = "", access_key: str = "",
                 secret_key: str = "", region: str = "us-east-1", force_path_style: bool = True,
                 signature_version: str = "s3v4", connect_timeout: float = 5.0, read_timeout: float = 60.0,
                 max_attempts: int = 3) -> None:
        self.bucket = bucket
        self.endpoint = endpoint
        self.public_endpoint = public_endpoint or endpoint
        config = Config(
            signature_version=signature_version,
            region_name=region,
            s3={"addressing_style": "path" if force_path_style else "virtual"},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"max_attempts": max_attempts, "mode": "standard"},
            max_pool_connections=32,
        )
        credentials = {"aws_access_key_id": access_key or None, "aws_secret_access_key": secret_key or None,
                       "region_name": region, "config": config}
        with _session_lock:  # one botocore session: its loader caches the S3 model (~100 ms per load)
            global _session
            if _session is None:
                _session = boto3.session.Session()
            self._s3 = _session.client("s3", endpoint_url=endpoint or None, **credentials)
            self._public = _session.client("s3", endpoint_url=self.public_endpoint or None, **credentials)

    # --- error mapping ------------------------------------------------------------------------------

    def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except ClientError as exc:
            raise self._map(what, exc) from exc
        except BotoCoreError as exc:  # connection refused, timeouts, closed connections...
            log.warning("S3 %s failed: %s", what, exc)
            raise StorageUnavailableError() from exc

    def _map(self, what: str, exc: ClientError) -> Exception:
        code, status = _code(exc), _status(exc)
        if code in _MISSING_CODES or status == 404:
            return NotFoundError(f"{what}: not found in the blob store")
        if code in _PART_CODES:
            return IntegrityError(f"{what}: {exc.response.get('Error', {}).get('Message') or code}")
        if status >= 500 or code in ("SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout"):
            log.warning("S3 %s failed: %s", what, exc)
            return StorageUnavailableError()
        log.error("S3 %s refused: %s", what, exc)  # credentials, bucket policy: an operator's problem
        return StorageUnavailableError(f"The storage backend refused the request ({code or status})")

    # --- set-up -------------------------------------------------------------------------------------

    def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist.

        Raises:
            StorageUnavailableError: S3 cannot be reached.
            ConfigError: S3 refuses to create the bucket (bad name, credentials, policy).
        """
        try:
            self._s3.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            if _status(exc) != 404 and _code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                raise self._map("head bucket", exc) from exc
        except BotoCoreError as exc:
            raise StorageUnavailableError(f"Cannot reach S3 at {self.endpoint or 'AWS'}: {exc}") from exc
        params: dict[str, Any] = {"Bucket": self.bucket}
        region = self._s3.meta.region_name
        if region and region not in ("us-east-1", "auto"):
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            self._s3.create_bucket(**params)
        except ClientError as exc:
            if _code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                if _status(exc) >= 500:
                    raise self._map("create bucket", exc) from exc
                raise ConfigError(f"Cannot create S3 bucket {self.bucket!r}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailableError(f"Cannot reach S3 at {self.endpoint or 'AWS'}: {exc}") from exc

    # --- reading ------------------------------------------------------------------------------------

    def stat(self, key: str) -> int | None:
        """Return the object's size in bytes, or None when the key is absent.

        Raises:
            ValueError: the key is invalid.
            StorageUnavailableError: S3 cannot be reached.
        """
        head = self.head(key)
        return None if head is None else head[0]

    def read_range(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = 1 << 20
    ) -> Iterator[bytes]:
        """Yield bytes ``[start, end)`` from one GET (one consistent version); ``end`` is clamped.

        Raises:
            ValueError: the key or range arguments are invalid (raised at call time).
            NotFoundError: the key is absent (raised on the first ``next``).
            StorageUnavailableError: S3 cannot be reached.
        """
        validate_key(key)
        validate_range(start, end, chunk_size)
        return self._iter_object(key, start, end, chunk_size)

    def _iter_object(self, key: str, start: int, end: int | None, chunk_size: int) -> Iterator[bytes]:
        if end is not None and end <= start:
            if self.stat(key) is None:
                raise NotFoundError(f"blob {key!r} not found")
            return
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if start or end is not None:
            params["Range"] = f"bytes={start}-" + ("" if end is None else str(end - 1))
        try:
            answer = self._s3.get_object(**params)
        except ClientError as exc:
            if _code(exc) == "InvalidRange" or _status(exc) == 416:
                return  # start at or past the end (or an empty object): nothing to read
            mapped = self._map("read", exc)
            if isinstance(mapped, NotFoundError):
                raise NotFoundError(f"blob {key!r} not found") from None
            raise mapped from exc
        except BotoCoreError as exc:
            raise StorageUnavailableError() from exc
        body = answer["Body"]
        try:
            while True:
                try:
                    chunk = body.read(chunk_size)
                except (BotoCoreError, OSError) as exc:
                    raise StorageUnavailableError() from exc
                if not chunk:
                    return
                yield chunk
        finally:
            body.close()

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        """Yield every key starting with ``prefix``."""
        for item in self._list(prefix):
            yield item["Key"]

    def _list(self, prefix: str) -> Iterator[dict[str, Any]]:
        for page in self._pages("list_objects_v2", "list", prefix):
            yield from page.get("Contents", [])

    def _pages(self, operation: str, what: str, prefix: str) -> Iterator[dict[str, Any]]:
        """The pages of a paginated listing under ``prefix``, each fetch mapped to our errors."""
        if any(part in (".", "..") for part in prefix.split("/")[:-1]):
            return  # no valid key has such a segment, and MinIO refuses the listing (InvalidResourceName)
        paginator = self._s3.get_paginator(operation)
        pages = self._call(what, lambda: iter(paginator.paginate(Bucket=self.bucket, Prefix=prefix)))
        while (page := self._call(what, next, pages, None)) is not None:
            yield page

    def list_objects_older_than(self, prefix: str, cutoff: datetime) -> Iterator[str]:
        """Yield the keys under ``prefix`` last written before ``cutoff``."""
        for item in self._list(prefix):
            if item["LastModified"] < cutoff:
                yield item["Key"]

    # --- writing ------------------------------------------------------------------------------------

    def put_bytes(self, key: str, data: bytes) -> None:
        """Publish ``data`` under ``key`` (a PUT is atomic in S3).

        Raises:
            ValueError: the key is invalid.
            StorageUnavailableError: S3 cannot be reached; nothing is published.
        """
        validate_key(key)
        self._call("put", self._s3.put_object, Bucket=self.bucket, Key=key, Body=bytes(data))

    def put_file(self, key: str, src: Path) -> None:
        """Upload ``src`` under ``key`` (multipart above 64 MiB; S3 publishes it whole), then delete ``src``.

        Raises:
            ValueError: the key is invalid.
            FileNotFoundError: ``src`` does not exist.
            StorageUnavailableError: S3 cannot be reached; nothing is published and ``src`` is kept.
        """
        validate_key(key)
        src = Path(src)
        if not src.is_file():
            raise FileNotFoundError(str(src))
        self._call("put", self._s3.upload_file, str(src), self.bucket, key, Config=_PUT_CONFIG)
        src.unlink(missing_ok=True)

    def head(self, key: str) -> tuple[int, str] | None:
        """(size, ETag) of an object, or None when absent.

        Raises:
            StorageUnavailableError: S3 cannot be reached.
        """
        validate_key(key)
        try:
            head = self._call("stat", self._s3.head_object, Bucket=self.bucket, Key=key)
        except NotFoundError:
            return None
        return int(head["ContentLength"]), str(head["ETag"])

    def sha256(self, key: str, *, if_match: str) -> str:
        """sha256 of the object, from one streamed GET; a reader thread overlaps the network and the hashing.

        The GET carries ``If-Match``, so an object overwritten before the read (a second PUT to a presigned
        URL) fails it instead of being hashed; S3 serves one version for the whole of one GET. One GET
        rather than parallel ranges: some servers (moto) read the whole object for every range request.

        Raises:
            NotFoundError: the key is absent.
            IntegrityError: the object changed (another ETag).
            StorageUnavailableError: S3 cannot be reached or the read broke off.
        """
        validate_key(key)
        try:
            body = self._s3.get_object(Bucket=self.bucket, Key=key, IfMatch=if_match)["Body"]
        except ClientError as exc:
            if _code(exc) == "PreconditionFailed" or _status(exc) == 412:
                raise IntegrityError("The uploaded object changed while it was being verified") from exc
            raise self._map("read", exc) from exc
        except BotoCoreError as exc:
            raise StorageUnavailableError() from exc
        chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=4)
        stop = threading.Event()

        def read() -> None:
            try:
                while not stop.is_set():
                    chunk = body.read(_HASH_CHUNK)
                    if not chunk:
                        break
                    chunks.put(chunk)
                chunks.put(None)
            except BaseException as exc:  # noqa: BLE001 - handed to the hashing thread
                chunks.put(exc)

        reader = threading.Thread(target=read, name="s3-sha256-reader", daemon=True)
        reader.start()
        digest = hashlib.sha256()
        try:
            while (item := chunks.get()) is not None:
                if isinstance(item, BaseException):
                    raise StorageUnavailableError() from item
                digest.update(item)
        finally:
            stop.set()
            while reader.is_alive():  # unblock a reader waiting on a full queue, then let it finish
                try:
                    chunks.get_nowait()
                except queue.Empty:
                    reader.join(0.05)
            body.close()
        return digest.hexdigest()

    def copy(self, src: str, dst: str, *, if_match: str | None = None) -> None:
        """Server-side copy (multipart copy above 5 GiB), only if ``src`` still has ETag ``if_match``.

        Raises:
            NotFoundError: ``src`` is absent.
            IntegrityError: ``src`` has another ETag.
            StorageUnavailableError: S3 cannot be reached.
        """
        validate_key(src)
        validate_key(dst)
        extra = {"CopySourceIfMatch": if_match} if if_match else {}
        try:
            self._s3.copy({"Bucket": self.bucket, "Key": src}, self.bucket, dst, ExtraArgs=extra or None,
                          Config=_COPY_CONFIG)
        except ClientError as exc:
            if _code(exc) == "PreconditionFailed" or _status(exc) == 412:
                raise IntegrityError("The uploaded object changed while it was being verified") from exc
            raise self._map("copy", exc) from exc
        except BotoCoreError as exc:
            raise StorageUnavailableError() from exc

    def delete(self, key: str) -> None:
        """Remove an object; a missing key is not an error.

        Raises:
            ValueError: the key is invalid.
            StorageUnavailableError: S3 cannot be reached.
        """
        validate_key(key)
        self._call("delete", self._s3.delete_object, Bucket=self.bucket, Key=key)

    # --- presigned URLs (signed for the public endpoint; no network call) ---------------------------

    def presigned_get_url(self, key: str, *, expires_in: int, disposition: str | None = None,
                          media_type: str | None = None) -> str:
        """A GET URL for clients; S3 answers it with ``disposition`` and ``media_type`` (both signed)."""
        validate_key(key)
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if disposition:
            params["ResponseContentDisposition"] = disposition
        if media_type:
            params["ResponseContentType"] = media_type
        return self._public.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)

    def direct_origin(self) -> str:
        # Taken from a URL signed the way real ones are: path style, virtual hosts and AWS's regional
        # endpoints all give the right host without this module re-deriving botocore's rules.
        parts = urlsplit(self.presigned_get_url("origin-probe", expires_in=60))
        return f"{parts.scheme}://{parts.netloc}"

    def presigned_put_url(self, key: str, *, size: int, expires_in: int) -> str:
        """A PUT URL for the whole object (single uploads).

        The signature covers ``Content-Length``: S3 refuses a body of any other size, so a client cannot
        park a larger object under the staging key than the one it announced.
        """
        validate_key(key)
        params = {"Bucket": self.bucket, "Key": key, "ContentLength": size}
        return self._public.generate_presigned_url("put_object", Params=params, ExpiresIn=expires_in)

    def presigned_part_url(self, key: str, upload_id: str, part_number: int, *, size: int,
                           expires_in: int) -> str:
        """A PUT URL for one part of a multipart upload, of exactly ``size`` bytes (signed, as above)."""
        validate_key(key)
        params = {"Bucket": self.bucket, "Key": key, "UploadId": upload_id, "PartNumber": part_number,
                  "ContentLength": size}
        return self._public.generate_presigned_url("upload_part", Params=params, ExpiresIn=expires_in)

    # --- multipart ----------------------------------------------------------------------------------

    def create_multipart_upload(self, key: str) -> str:
        """Start a multipart upload; returns S3's upload id.

        Raises:
            StorageUnavailableError: S3 cannot be reached.
        """
        validate_key(key)
        answer = self._call("create multipart upload", self._s3.create_multipart_upload,
                            Bucket=self.bucket, Key=key)
        return str(answer["UploadId"])

    def complete_multipart_upload(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> None:
        """Assemble the parts into ``key``.

        Raises:
            NotFoundError: no such upload (aborted, never started, or already completed).
            IntegrityError: S3 refused the part list (a part missing, an etag that does not match).
            StorageUnavailableError: S3 cannot be reached.
        """
        validate_key(key)
        listed = [{"PartNumber": n, "ETag": etag if etag.startswith('"') else f'"{etag}"'} for n, etag in parts]
        try:
            self._call("complete multipart upload", self._s3.complete_multipart_upload, Bucket=self.bucket,
                       Key=key, UploadId=upload_id, MultipartUpload={"Parts": listed})
        except StorageUnavailableError:
            # Some servers (moto) answer 500 rather than NoSuchUpload for an unknown or finished upload.
            if any(p.upload_id == upload_id for p in self.list_multipart_uploads(key)):
                raise
            raise NotFoundError("complete multipart upload: no such upload") from None

    def abort_multipart_upload(self, key: str, upload_id: str) -> None:
        """Discard an upload and its parts; an unknown upload is not an error."""
        validate_key(key)
        try:
            self._call("abort multipart upload", self._s3.abort_multipart_upload, Bucket=self.bucket,
                       Key=key, UploadId=upload_id)
        except NotFoundError:
            pass

    def list_multipart_uploads(self, prefix: str = "") -> Iterator[PendingUpload]:
        """Yield the uploads in progress under ``prefix``."""
        for page in self._pages("list_multipart_uploads", "list uploads", prefix):
            for item in page.get("Uploads", []):
                yield PendingUpload(item["Key"], item["UploadId"], item["Initiated"])
