"""Files under ``settings.DATA_ROOT``: server-generated names, containment checks, durable writes.

Nothing a client sends ever becomes part of a path. Every path stored in the database is relative
to the data root and is resolved through :func:`resolve`, which refuses anything that lands
outside the root (``..``, absolute paths, symlinks pointing elsewhere).

Writes are durable before anyone relies on them: write a temporary file, fsync it, rename it
into place, fsync the folder. Uploads and temporary files live in ``DATA_ROOT/tmp`` (same file
system as their final place, so moving them there is an atomic rename); uploads are capped at
``settings.PORTAL_MAX_UPLOAD_BYTES``.

A process holds an exclusive ``flock`` on each temporary file it is writing or reading; the
kernel drops it when the process ends, however it ends. So a temporary file nobody holds is
left over from a killed process (a web worker killed mid-upload, a worker killed mid-write) and
the sweep removes it within minutes, while files in use are never touched, however old.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils import timezone

from mlops_portal.errors import PortalError

TMP_DIR = "tmp"
TMP_SUFFIX = ".tmp"
UPLOAD_SUFFIX = ".upload"
TEMPORARY_GRACE_SECONDS = 60
"""A temporary file is only swept once it is this old: time for its maker to lock it."""


class PayloadTooLarge(PortalError):
    code = "too_large"
    status = 413


class StorageError(Exception):
    """A stored path that does not resolve inside the data root: never shown to clients."""


def data_root() -> Path:
    root = Path(settings.DATA_ROOT).resolve()
    root.mkdir(parents=True, exist_ok=True)
    return root


def resolve(relative: str) -> Path:
    """The absolute path of a stored relative path, refusing anything outside the data root."""
    root = data_root()
    if not relative or os.path.isabs(relative):
        raise StorageError(f"not a relative data path: {relative!r}")
    path = (root / relative).resolve()
    if path == root or not path.is_relative_to(root):
        raise StorageError(f"data path escapes the data root: {relative!r}")
    return path


def new_relative_path(kind: str, version_id: int, suffix: str) -> str:
    """``<kind>/v<version>/<yyyy>/<mm>/<dd>/<random>.<suffix>``, dated so sweeps stay cheap."""
    today = timezone.now()
    return f"{kind}/v{int(version_id)}/{today:%Y/%m/%d}/{uuid.uuid4().hex}{suffix}"


def tmp_dir() -> Path:
    path = data_root() / TMP_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_parquet(table: pa.Table, relative: str) -> tuple[int, str]:
    """Write ``table`` durably at ``relative``; returns (size in bytes, sha256).

    Temporary name under ``DATA_ROOT/tmp`` (held while written), fsync, rename, fsync the
    folder: a reader sees either no file or the whole file. On any failure the temporary file
    is removed; if the process is killed, the sweep removes it.
    """
    final = resolve(relative)
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary = tmp_dir() / f"{final.name}.{uuid.uuid4().hex}{TMP_SUFFIX}"
    try:
        with temporary.open("wb") as stream:
            hold(stream)
            pq.write_table(table, stream, compression="zstd")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, final)
        fsync_dir(final.parent)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return final.stat().st_size, file_sha256(final)


def move_into_place(source: Path, relative: str) -> Path:
    """Durably move a file already under the data root (an upload) to ``relative``."""
    final = resolve(relative)
    final.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as stream:
        os.fsync(stream.fileno())
    os.replace(source, final)
    fsync_dir(final.parent)
    return final


def remove(relative: str) -> None:
    """Delete a stored file; a missing file is not an error."""
    if relative:
        resolve(relative).unlink(missing_ok=True)


def hold(stream) -> None:
    """Mark an open temporary file as in use for as long as this process keeps it open."""
    fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _in_use(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            try:
                fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(stream.fileno(), fcntl.LOCK_UN)
    except FileNotFoundError:
        return True  # gone already: nothing to remove
    return False


def sweep_temporary_files(*, older_than_seconds: int = TEMPORARY_GRACE_SECONDS) -> int:
    """Remove temporary and upload files under ``DATA_ROOT/tmp`` that no process holds (left
    behind by killed processes). Returns how many."""
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in tmp_dir().iterdir():
        try:
            if not path.is_file() or path.stat().st_mtime >= cutoff or _in_use(path):
                continue
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
    return removed


def sweep_stray_temporary_files(*, older_than_seconds: int = 6 * 3600) -> int:
    """Remove dotted ``*.tmp`` files written next to their target elsewhere under the data root
    (reference profiles; batch files before they were written under ``tmp``) once they are
    older than any write takes. Returns how many."""
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in data_root().glob(f"**/.*{TMP_SUFFIX}"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff and not _in_use(path):
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


# --- uploads ---------------------------------------------------------------------------------


def max_upload_bytes() -> int:
    return int(settings.PORTAL_MAX_UPLOAD_BYTES)


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"file: the upload is larger than the limit of {limit:,} bytes "
        f"({limit / 1024 / 1024:.0f} MiB).",
        field="file",
    )


class DataRootUploadedFile(UploadedFile):
    """An upload streamed to a temporary file under ``DATA_ROOT/tmp`` (deleted when closed)."""

    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by UploadedFile.close
            suffix=UPLOAD_SUFFIX, dir=tmp_dir()
        )
        hold(file)
        super().__init__(file, name, content_type, size, charset, content_type_extra)

    def temporary_file_path(self) -> str:
        return self.file.name

    def close(self):
        try:
            return self.file.close()
        except FileNotFoundError:
            pass  # moved into its final place: nothing left to delete


class DataRootUploadHandler(FileUploadHandler):
    """Streams every uploaded file to disk under the data root, refusing more than the limit.

    The declared Content-Length is checked before anything is read; the bytes actually received
    are counted too (a client may lie or send chunked bodies).
    """

    def __init__(self, request=None, *, limit: int | None = None):
        super().__init__(request)
        self.limit = max_upload_bytes() if limit is None else limit
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > self.limit + 64 * 1024:
            raise too_large(self.limit)

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.file = DataRootUploadedFile(
            self.file_name, self.content_type, 0, self.charset, self.content_type_extra
        )

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.file.close()
            raise too_large(self.limit)
        self.file.write(raw_data)

    def file_complete(self, file_size):
        self.file.seek(0)
        self.file.size = file_size
        return self.file


@contextmanager
def uploaded_path(upload: DataRootUploadedFile) -> Iterator[Path]:
    """Where an upload streamed to the data root lies; its temporary file is gone afterwards
    (unless a service moved it into its final place)."""
    try:
        yield Path(upload.temporary_file_path())
    finally:
        upload.close()


def use_data_root_uploads(request) -> None:
    """Make this request stream its uploads to the data root (call before touching POST)."""
    request.upload_handlers = [DataRootUploadHandler(request)]
