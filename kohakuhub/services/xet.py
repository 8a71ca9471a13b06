"""The Xet CAS (Xet specification: upload-protocol, download-protocol, api, deduplication).

- A xorb is accepted only after its format, every chunk hash and the xorb hash were checked; it is then
  stored as uploaded under ``xet/xorbs/..`` and its chunk table kept in the database.
- A shard registers files. Each file's reconstruction must name stored xorbs, carry verification hashes
  that prove the uploader knows the chunks it reuses, hash to the announced file hash, and its bytes must
  hash to the announced sha256 (checked by reading them back): only then does it become an LFS object
  that commits may reference, granted to the uploader.
- Reconstructions answer ranged URLs into xorbs; a file in a repo is readable only through a token of a
  repo that references it (or by its uploader).
- Clients that do not speak Xet read the same bytes through ``read_range``: the chunks are fetched,
  decompressed and streamed, so the bytes are stored once.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from threading import Lock

from peewee import Database, fn

from kohakuhub.db.database import write_transaction
from kohakuhub.db.models import LfsGrant, LfsObject, Repo, XetDedupChunk, XetFile, XetXorb, XetXorbGrant
from kohakuhub.errors import BadRequestError, IntegrityError, NotFoundError, RangeNotSatisfiableError
from kohakuhub.services.lfs import LfsService
from kohakuhub.services.quotas import QuotaService
from kohakuhub.services.xet_tokens import XetGrant
from kohakuhub.storage.base import BlobStore
from kohakuhub.xet.hashing import hash_to_hex, hex_to_hash, is_global_dedup_eligible, keyed_chunk_hash
from kohakuhub.xet.shard import (
    FileEntry,
    Shard,
    ShardFormatError,
    build_shard,
    check_file_entry,
    parse_shard,
    xorb_entry_for,
)
from kohakuhub.xet.xorb import XorbFormatError, decode_chunks, parse_xorb

MiB = 1024 * 1024
# Xorbs are at most 64 MiB of chunk data (specification: xorb); the footer and headers add a little.
MAX_XORB_BYTES = 64 * MiB + 4 * MiB
MAX_SHARD_BYTES = 64 * MiB
# How long a client may keep using the key of a global dedup answer.
DEDUP_KEY_SECONDS = 7 * 24 * 3600
# At most this many not-yet-used xorbs of the user ride along in a dedup answer (64 x 64 MiB = 4 GiB).
MAX_PENDING_XORBS = 64
HASH_CACHE_SIZE = 100_000
MISS_SECONDS = 60.0
_CHUNK = struct.Struct("<32sQI")  # chunk hash, byte offset in the xorb, unpacked size
_TERM = struct.Struct("<32sIIQ")  # xorb hash, first chunk, end chunk (exclusive), unpacked bytes


def xorb_key(xorb_hex: str) -> str:
    """Blob-store key of a xorb."""
    return f"xet/xorbs/{xorb_hex[:2]}/{xorb_hex[2:4]}/{xorb_hex}"


def parse_hash(text: str, what: str) -> bytes:
    """A hash from a URL path (64 lowercase hex, specification: api).

    Raises:
        BadRequestError: malformed.
    """
    try:
        if text != text.lower():
            raise ValueError
        return hex_to_hash(text)
    except ValueError:
        raise BadRequestError(f"Malformed {what} hash {text[:80]!r}: expected 64 lowercase hex characters") from None


@dataclass(frozen=True)
class XorbTable:
    """A stored xorb's chunks: hash, byte offset and unpacked size of each, and where chunk data ends."""

    hash: str
    data_length: int
    chunks: list[tuple[bytes, int, int]]

    def byte_span(self, start: int, end: int) -> tuple[int, int]:
        """Byte range ``[first, last)`` of chunks ``[start, end)`` in the serialized xorb."""
        last = self.chunks[end][1] if end < len(self.chunks) else self.data_length
        return self.chunks[start][1], last


@dataclass(frozen=True)
class Term:
    """One reconstruction term: chunks ``[start, end)`` of a xorb."""

    xorb: str
    start: int
    end: int
    unpacked: int


@dataclass(frozen=True)
class XetFileInfo:
    oid: str
    file_hash: str
    size: int
    terms: list[Term]


def _pack_terms(terms: list[Term]) -> bytes:
    return b"".join(_TERM.pack(hex_to_hash(t.xorb), t.start, t.end, t.unpacked) for t in terms)


def _unpack_terms(blob: bytes) -> list[Term]:
    return [Term(hash_to_hex(h), a, b, n) for h, a, b, n in _TERM.iter_unpack(bytes(blob))]


class XetService:
    """Stores verified xorbs and files, and answers reconstructions and dedup queries."""

    def __init__(self, db: Database, store: BlobStore, lfs: LfsService, quotas: QuotaService, *,
                 url_ttl: int) -> None:
        self._db = db
        self._store = store
        self._lfs = lfs
        self._quotas = quotas
        self.url_ttl = url_ttl
        self._tables: OrderedDict[str, XorbTable] = OrderedDict()  # xorbs are immutable: cache freely
        self._hash_cache: OrderedDict[str, tuple[str | None, float]] = OrderedDict()  # see xet_hashes
        self._cache_lock = Lock()

    # --- metadata --------------------------------------------------------------------------------

    def xorb(self, xorb_hex: str) -> XorbTable | None:
        """The chunk table of a stored xorb, or None."""
        with self._cache_lock:
            table = self._tables.get(xorb_hex)
            if table is not None:
                self._tables.move_to_end(xorb_hex)
                return table
        row = XetXorb.get_or_none(XetXorb.hash == xorb_hex)
        if row is None:
            return None
        table = XorbTable(xorb_hex, row.data_length, list(_CHUNK.iter_unpack(bytes(row.chunks))))
        with self._cache_lock:
            self._tables[xorb_hex] = table
            while len(self._tables) > 256:
                self._tables.popitem(last=False)
        return table

    def file(self, oid: str) -> XetFileInfo | None:
        """The Xet file whose content has this sha256, or None (an LFS object stored whole, or nothing)."""
        row = XetFile.get_or_none(XetFile.oid == oid)
        return None if row is None else XetFileInfo(row.oid, row.file_hash, row.size, _unpack_terms(row.terms))

    def reconstructed(self, oid: str) -> XetFileInfo | None:
        """The Xet file to rebuild for a client without Xet: None when the content is also stored whole
        (uploaded through LFS too), which is then served directly. Most objects are not Xet files: the
        cached ``xet_hashes`` answers for them without a query, and without a stat of the store (an S3
        HEAD per object of an LFS batch download)."""
        if oid not in self.xet_hashes([oid]):
            return None
        info = self.file(oid)
        if info is None or self._store.stat(self._lfs.object_key(oid)) is not None:
            return None
        return info

    def xet_hashes(self, oids: list[str]) -> dict[str, str]:
        """sha256 -> Xet file hash for those of ``oids`` stored as Xet files.

        Cached in the process, because every HEAD of an LFS file asks (it doubled the database work of
        the hottest route). A Xet file never changes, so a hit is kept; a miss is kept for a minute only:
        the same content may be registered through Xet later. A stale miss cannot break a download: an
        object referenced before it was a Xet file was stored whole, and is served as such.
        """
        now = time.monotonic()
        found: dict[str, str] = {}
        missing = []
        with self._cache_lock:
            for oid in oids:
                cached = self._hash_cache.get(oid)
                if cached is None or (cached[0] is None and cached[1] < now):
                    missing.append(oid)
                elif cached[0] is not None:
                    found[oid] = cached[0]
        fetched: dict[str, str] = {}
        for start in range(0, len(missing), 500):
            query = XetFile.select(XetFile.oid, XetFile.file_hash).where(XetFile.oid.in_(missing[start:start + 500]))
            fetched.update((row.oid, row.file_hash) for row in query)
        with self._cache_lock:
            for oid in missing:
                self._hash_cache[oid] = (fetched.get(oid), now + MISS_SECONDS)
                self._hash_cache.move_to_end(oid)
            while len(self._hash_cache) > HASH_CACHE_SIZE:
                self._hash_cache.popitem(last=False)
        return {**found, **fetched}

    # --- upload ----------------------------------------------------------------------------------

    def upload_xorb(self, grant: XetGrant, xorb_hex: str, data: bytes | bytearray) -> bool:
        """Verify and store a xorb; False when it was already stored (not an error).

        Raises:
            ForbiddenError: read-only token.
            BadRequestError: malformed hash, or the body is not a valid xorb with that hash.
        """
        grant.require_write()
        expected = parse_hash(xorb_hex, "xorb")
        if self.xorb(xorb_hex) is not None:
            with write_transaction(self._db):
                self._grant_xorbs(grant.user_id, [xorb_hex])
            return False
        repo = Repo.get_or_none(Repo.id == grant.repo_id)
        if repo is None:
            raise NotFoundError("The repository this Xet token was issued for no longer exists")
        # New bytes count against the quota of the token's repo (a commit then charges what it links).
        self._quotas.check(repo, len(data), "this upload")
        try:
            parsed = parse_xorb(data, expected)
        except XorbFormatError as exc:
            raise BadRequestError(f"Invalid xorb {xorb_hex}: {exc}") from None
        self._store.put_bytes(xorb_key(xorb_hex), data)
        table = b"".join(_CHUNK.pack(c.hash, c.offset, c.uncompressed_size) for c in parsed.chunks)
        # The first chunk too: a client that restarts an interrupted upload queries its file's first chunk,
        # which is the first chunk of the first xorb it sent before.
        eligible = [{"chunk_hash": hash_to_hex(c.hash), "xorb": xorb_hex}
                    for i, c in enumerate(parsed.chunks) if i == 0 or is_global_dedup_eligible(c.hash)]
        with write_transaction(self._db):
            inserted = XetXorb.insert(
                hash=xorb_hex, size=len(data), data_length=parsed.data_length, chunk_count=len(parsed.chunks),
                unpacked_bytes=sum(c.uncompressed_size for c in parsed.chunks), chunks=table,
            ).on_conflict_ignore().execute()
            if eligible:
                XetDedupChunk.insert_many(eligible).on_conflict_ignore().execute()
            self._grant_xorbs(grant.user_id, [xorb_hex])
        return bool(inserted)

    def upload_shard(self, grant: XetGrant, data: bytes | bytearray) -> bool:
        """Register the files of a shard, all or none; False when every file was already registered.

        Raises:
            ForbiddenError: read-only token.
            BadRequestError: malformed shard, unknown xorb, failed verification, sha256 mismatch.
        """
        grant.require_write()
        try:
            shard = parse_shard(data)
        except ShardFormatError as exc:
            raise BadRequestError(f"Invalid shard: {exc}") from None
        for entry in shard.xorbs:
            if self.xorb(hash_to_hex(entry.xorb_hash)) is None:
                raise BadRequestError(f"Shard lists xorb {hash_to_hex(entry.xorb_hash)}, which was never uploaded")
        files = [self._checked_file(entry) for entry in shard.files]  # every check before any write
        new = [info for info, known in files if not known]
        with write_transaction(self._db):
            for info in new:
                self._register(info)
            for info, _ in files:
                LfsGrant.insert(user=grant.user_id, oid=info.oid).on_conflict_ignore().execute()
                self._grant_xorbs(grant.user_id, list(dict.fromkeys(t.xorb for t in info.terms)))
        with self._cache_lock:  # a miss cached before (an LFS HEAD of the same content) is wrong now
            for info in new:
                self._hash_cache.pop(info.oid, None)
        return bool(new)

    def _chunks_of(self, xorb_hash: bytes) -> list[tuple[bytes, int]] | None:
        table = self.xorb(hash_to_hex(xorb_hash))
        return None if table is None else [(h, size) for h, _, size in table.chunks]

    def _checked_file(self, entry: FileEntry) -> tuple[XetFileInfo, bool]:
        """The file of a shard entry once verified, and whether it was registered before."""
        file_hex = hash_to_hex(entry.file_hash)
        try:
            check_file_entry(entry, self._chunks_of)
        except ShardFormatError as exc:
            raise BadRequestError(f"Shard file {file_hex} failed verification: {exc}") from None
        if entry.sha256 is None:
            raise BadRequestError(f"Shard file {file_hex} has no sha256 (metadata extension); the commit needs it")
        terms = [Term(hash_to_hex(s.xorb_hash), s.chunk_start, s.chunk_end, s.unpacked_bytes) for s in entry.segments]
        info = XetFileInfo(entry.sha256.hex(), file_hex, sum(t.unpacked for t in terms), terms)
        known = XetFile.get_or_none(XetFile.oid == info.oid)
        if known is not None and known.file_hash == file_hex:
            return info, True
        self._verify_sha256(info)
        return info, False

    def _register(self, info: XetFileInfo) -> None:
        """Record a verified file (inside the caller's transaction); it claims the xorbs no file used yet."""
        xorbs = list(dict.fromkeys(t.xorb for t in info.terms))
        claimed = (XetXorb.update(claimed_by=info.oid)
                   .where(XetXorb.hash.in_(xorbs) & XetXorb.claimed_by.is_null())
                   .returning(XetXorb.size).execute())
        XetFile.insert(oid=info.oid, file_hash=info.file_hash, size=info.size, terms=_pack_terms(info.terms),
                       stored_bytes=sum(row.size for row in claimed)).on_conflict_ignore().execute()
        LfsObject.insert(oid=info.oid, size=info.size).on_conflict_ignore().execute()
        if info.terms:  # a file's first chunk is always a dedup query (specification: deduplication)
            first = info.terms[0]
            chunk = self.xorb(first.xorb).chunks[first.start][0]
            XetDedupChunk.insert(chunk_hash=hash_to_hex(chunk), xorb=first.xorb).on_conflict_ignore().execute()

    def _verify_sha256(self, info: XetFileInfo) -> None:
        digest = hashlib.sha256()
        for block in self.read_range(info, 0, info.size):
            digest.update(block)
        if digest.hexdigest() != info.oid:
            raise IntegrityError(f"Shard file {info.file_hash}: its bytes hash to sha256 {digest.hexdigest()}, "
                                 f"not the announced {info.oid}")

    @staticmethod
    def _grant_xorbs(user_id: int, xorbs: list[str]) -> None:
        XetXorbGrant.insert_many([{"user": user_id, "xorb": x} for x in xorbs]).on_conflict_ignore().execute()

    # --- download --------------------------------------------------------------------------------

    def readable_file(self, grant: XetGrant, file_hex: str) -> XetFileInfo:
        """The file, if the token's repo references it or the token's user registered it.

        Raises:
            BadRequestError: malformed hash.
            NotFoundError: unknown, or not readable with this token (indistinguishable).
        """
        parse_hash(file_hex, "file")
        row = XetFile.get_or_none(XetFile.file_hash == file_hex)
        if row is None or not self._lfs.reachable_by(grant.user_id or None, grant.repo_id, row.oid):
            raise NotFoundError(f"File {file_hex} not found")
        return XetFileInfo(row.oid, row.file_hash, row.size, _unpack_terms(row.terms))

    def reconstruction(self, info: XetFileInfo, span: tuple[int, int] | None,
                       url_for: Callable[[str, int, int], str]) -> dict:
        """The QueryReconstructionResponse of a file or of bytes ``[start, end)`` of it.

        ``url_for(xorb, first_byte, last_byte_inclusive)`` makes the fetch URL.

        Raises:
            RangeNotSatisfiableError: the range starts at or past the end of the file.
        """
        start, end = span if span is not None else (0, info.size)
        if span is not None and start >= info.size:
            raise RangeNotSatisfiableError(f"Range starts at {start}, the file has {info.size} bytes", size=info.size)
        terms, fetch_info, skip = [], {}, 0
        for term, table, first, last, offset in self._overlapping(info, start, end):
            if not terms:
                skip = start - offset
            unpacked = sum(size for _, _, size in table.chunks[first:last])
            terms.append({"hash": term.xorb, "unpacked_length": unpacked, "range": {"start": first, "end": last}})
            byte_first, byte_end = table.byte_span(first, last)
            fetches = fetch_info.setdefault(term.xorb, [])
            if not any(f["range"]["start"] == first and f["range"]["end"] == last for f in fetches):
                fetches.append({"range": {"start": first, "end": last}, "url": url_for(term.xorb, byte_first, byte_end - 1),
                                "url_range": {"start": byte_first, "end": byte_end - 1}})
        return {"offset_into_first_range": skip, "terms": terms, "fetch_info": fetch_info}

    def _overlapping(self, info: XetFileInfo, start: int, end: int
                     ) -> Iterator[tuple[Term, XorbTable, int, int, int]]:
        """(term, table, first chunk, end chunk, file offset of the first chunk) covering ``[start, end)``."""
        position = 0
        for term in info.terms:
            if position >= end:
                return
            if position + term.unpacked <= start:
                position += term.unpacked
                continue
            table = self.xorb(term.xorb)
            if table is None:
                raise NotFoundError(f"Xorb {term.xorb} of file {info.file_hash} is missing")
            first, offset = term.start, position
            while first < term.end and offset + table.chunks[first][2] <= start:
                offset += table.chunks[first][2]
                first += 1
            last, reach = first, offset
            while last < term.end and reach < end:
                reach += table.chunks[last][2]
                last += 1
            yield term, table, first, last, offset
            position += term.unpacked

    def read_range(self, info: XetFileInfo, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``[start, end)`` of a Xet file, decompressed from its xorbs as they stream in."""
        for term, table, first, last, offset in self._overlapping(info, start, end):
            byte_first, byte_end = table.byte_span(first, last)
            bounds = [table.chunks[i][1] for i in range(first + 1, last)] + [byte_end]
            for data in self._split(self._store.read_range(xorb_key(term.xorb), byte_first, byte_end),
                                    byte_first, bounds):
                chunk = b"".join(decode_chunks(data))
                lo, hi = max(start - offset, 0), min(end - offset, len(chunk))
                offset += len(chunk)
                if lo < hi:
                    yield chunk[lo:hi] if (lo, hi) != (0, len(chunk)) else chunk

    @staticmethod
    def _split(stream: Iterator[bytes], position: int, bounds: list[int]) -> Iterator[bytes]:
        """Regroup a byte stream starting at ``position`` into pieces ending at each of ``bounds``."""
        buffer = bytearray()
        bounds_iter = iter(bounds)
        bound = next(bounds_iter)
        for block in stream:
            buffer += block
            while bound is not None and position + len(buffer) >= bound:
                cut = bound - position
                yield bytes(buffer[:cut])
                del buffer[:cut]
                position = bound
                bound = next(bounds_iter, None)
        if bound is not None:
            raise IntegrityError(f"A stored xorb ended early at byte {position + len(buffer)}")

    def dedup_shard(self, grant: XetGrant, chunk_hex: str) -> bytes:
        """The global dedup answer for a chunk: a shard describing the xorb holding it, plus the xorbs this
        user sent that no file uses yet (an upload that was interrupted before its shard: the retry then
        reuses them instead of sending them again). Chunk hashes are keyed with a fresh secret, so the
        client can match only chunks it already has.

        Raises:
            BadRequestError: malformed hash.
            NotFoundError: no such chunk among the xorbs this token's user uploaded or reused.
        """
        parse_hash(chunk_hex, "chunk")
        row = (XetDedupChunk.select(XetDedupChunk.xorb)
               .join(XetXorbGrant, on=(XetXorbGrant.xorb == XetDedupChunk.xorb))
               .where((XetDedupChunk.chunk_hash == chunk_hex) & (XetXorbGrant.user == grant.user_id)).first())
        if row is None or self.xorb(row.xorb) is None:
            raise NotFoundError(f"Chunk {chunk_hex} is not known for deduplication")
        pending = (XetXorb.select(XetXorb.hash).join(XetXorbGrant, on=(XetXorbGrant.xorb == XetXorb.hash))
                   .where((XetXorbGrant.user == grant.user_id) & XetXorb.claimed_by.is_null())
                   .order_by(XetXorb.created_at.desc()).limit(MAX_PENDING_XORBS))
        key = secrets.token_bytes(32)
        xorbs = []
        for xorb_hex in dict.fromkeys([row.xorb, *(p.hash for p in pending)]):
            table = self.xorb(xorb_hex)
            if table is not None:
                keyed = [(keyed_chunk_hash(key, h), size) for h, _, size in table.chunks]
                xorbs.append(xorb_entry_for(hex_to_hash(xorb_hex), keyed, table.data_length))
        now = int(time.time())
        return build_shard(Shard(files=[], xorbs=xorbs, chunk_hash_hmac_key=key, creation_timestamp=now,
                                 key_expiry=now + DEDUP_KEY_SECONDS), footer=True)

    # --- accounting ------------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Logical bytes of Xet files vs bytes of xorbs stored (the dedup ratio is their quotient)."""
        files = XetFile.select(fn.COUNT(XetFile.oid), fn.COALESCE(fn.SUM(XetFile.size), 0)).tuples().get()
        xorbs = XetXorb.select(fn.COUNT(XetXorb.hash), fn.COALESCE(fn.SUM(XetXorb.size), 0)).tuples().get()
        file_bytes, stored = int(files[1]), int(xorbs[1])
        return {"files": int(files[0]), "file_bytes": file_bytes, "xorbs": int(xorbs[0]), "stored_bytes": stored,
                "dedup_ratio": round(file_bytes / stored, 3) if stored else None}
