"""Settings: the only module that reads the environment.

Sources, strongest first: explicit keyword arguments (the CLI's flags), ``KOHAKU_HUB_*`` environment
variables, the TOML file named by ``KOHAKU_HUB_CONFIG`` (keys are the field names in lower case), then the
defaults below. Unknown keys in either source, and invalid values, stop the hub at start.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from kohakuhub.errors import ConfigError

ENV_PREFIX = "KOHAKU_HUB_"
CONFIG_FILE_ENV = f"{ENV_PREFIX}CONFIG"
# Switches of the test suite (e.g. KOHAKU_HUB_TEST_DATABASE), never settings of the hub.
TEST_ENV_PREFIX = f"{ENV_PREFIX}TEST_"
MiB = 1024 * 1024
# S3's smallest multipart part (all but the last): AWS, MinIO and R2 refuse the completion of smaller ones.
S3_MIN_PART_BYTES = 5 * MiB


class Settings(BaseSettings):
    """Every setting of the hub. Defaults give the embedded mode (SQLite + local files)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    base_url: str = "http://127.0.0.1:28080"
    data_dir: Path = Path("./kohakuhub-data")
    database_url: str = ""  # empty: SQLite file in the data dir
    session_secret: SecretStr = SecretStr("")  # empty: generated once and kept in the data dir
    session_expire_hours: int = 24 * 7
    site_name: str = "KohakuHub"
    # The built web UI (``npm run build`` in ui/); unset: the checkout's ui/dist. Without one: API only.
    ui_dir: Path | None = None
    # Bootstrap admin token (KOHAKU_HUB_ADMIN_TOKEN): a Bearer token equal to it is a site admin on
    # /admin/api/ (automation, first admin). Empty: disabled. SecretStr keeps it out of reprs and logs.
    admin_token: SecretStr = SecretStr("")
    # Login brute-force protection: failures allowed per window, per username and per client address
    # (0 turns a limit off). Counted in the database so every worker sees the same numbers.
    login_max_failures_per_username: int = 10
    login_max_failures_per_address: int = 30
    login_failure_window_seconds: int = 15 * 60
    # Who may sign up through the API: anyone, holders of a registration invitation, or nobody
    # (``kohakuhub admin create-user`` always works).
    registration: Literal["open", "invite", "closed"] = "open"

    lfs_threshold_bytes: int = 10 * MiB
    lfs_multipart_threshold_bytes: int = 100 * MiB
    lfs_multipart_chunk_size_bytes: int = 50 * MiB
    lfs_url_ttl_seconds: int = 3600
    # auto (= lfs): preupload answers "lfs" at or above the threshold or for LFS-tracked paths; clients
    # with hf_xet then upload those files through Xet, others (HF_HUB_DISABLE_XET=1) through LFS.
    # regular: "regular" for every file, so every client uploads inline (protocol section 6, option A).
    upload_mode: Literal["auto", "lfs", "regular"] = "auto"
    max_commit_body_bytes: int = 64 * 1024 * MiB
    # Every request body but the streaming routes' (api/body_limit.py): JSON, forms. nginx has the same cap.
    max_json_body_bytes: int = 4 * MiB
    max_lfs_object_bytes: int = 1024 * 1024 * MiB

    # Storage quota of each namespace (user or organization), private and public repos counted apart;
    # None (unset) means unlimited. Site admins override them per namespace (PUT /api/quota/{ns}).
    default_private_quota_bytes: int | None = None
    default_public_quota_bytes: int | None = None

    log_level: Literal["debug", "info", "warning", "error"] = "info"

    # S3-compatible blob store (MinIO, AWS, R2). Used when s3_endpoint or s3_bucket is set; local files
    # otherwise. Large files then travel between clients and S3 through presigned URLs, signed for
    # s3_public_endpoint (the address clients reach; default: s3_endpoint).
    s3_endpoint: str = ""  # empty with a bucket set: AWS's regional endpoint
    s3_public_endpoint: str = ""
    s3_access_key: str = ""
    s3_secret_key: SecretStr = SecretStr("")
    s3_bucket: str = ""  # empty with an endpoint set: "kohakuhub"; created if missing
    s3_region: str = "us-east-1"  # R2: "auto"
    s3_force_path_style: bool = True  # MinIO needs path style; AWS and R2 also take virtual hosts
    s3_signature_version: Literal["s3v4", "s3"] = "s3v4"
    s3_connect_timeout_seconds: float = 5.0
    s3_read_timeout_seconds: float = 60.0
    s3_max_attempts: int = 3
    # Multipart uploads (and staged single uploads) not completed after this long are aborted (deleted).
    s3_multipart_abandon_hours: float = 24.0

    # The lakeFS mirror (ARCHITECTURE.md: a mirror, not a second store of truth). Off while lakefs_endpoint
    # is empty; with it, the access key, the secret and the storage namespace template are required.
    # The template names where lakeFS keeps a repo's objects, with {repo} for the lakeFS repository name
    # (e.g. s3://kohakuhub/lakefs/{repo}).
    lakefs_endpoint: str = ""
    lakefs_access_key: str = ""
    lakefs_secret_key: SecretStr = SecretStr("")
    lakefs_storage_namespace: str = ""

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator(
        "lfs_threshold_bytes",
        "lfs_multipart_threshold_bytes",
        "lfs_multipart_chunk_size_bytes",
        "lfs_url_ttl_seconds",
        "max_commit_body_bytes",
        "max_json_body_bytes",
        "session_expire_hours",
        "login_failure_window_seconds",
        "s3_connect_timeout_seconds",
        "s3_read_timeout_seconds",
        "s3_multipart_abandon_hours",
        "s3_max_attempts",
    )
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be positive")
        return value

    @field_validator("s3_endpoint", "s3_public_endpoint")
    @classmethod
    def _endpoint_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be empty or start with http:// or https://")
        return value.rstrip("/")

    @field_validator("login_max_failures_per_username", "login_max_failures_per_address")
    @classmethod
    def _not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must be 0 (no limit) or a positive integer")
        return value

    @field_validator("admin_token")
    @classmethod
    def _strong_admin_token(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value()) < 32:
            raise ValueError("must be empty (disabled) or at least 32 characters")
        return value

    @field_validator("default_private_quota_bytes", "default_public_quota_bytes")
    @classmethod
    def _non_negative(cls, value: int | None) -> int | None:
        if value is not None and value < 0:
            raise ValueError("must be a non-negative integer (unset for unlimited)")
        return value

    @field_validator("lakefs_endpoint")
    @classmethod
    def _lakefs_endpoint_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL of the lakeFS server (or empty: no mirror)")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _lakefs_complete(self) -> Settings:
        if not self.lakefs_endpoint:
            given = [name for name in ("lakefs_access_key", "lakefs_storage_namespace") if getattr(self, name)]
            if self.lakefs_secret_key.get_secret_value():
                given.append("lakefs_secret_key")
            if given:
                raise ValueError(f"{', '.join(given)} set without lakefs_endpoint: set the endpoint too, or "
                                 "leave every lakefs_* setting empty (no mirror)")
            return self
        missing = [name for name in ("lakefs_access_key", "lakefs_storage_namespace") if not getattr(self, name)]
        if not self.lakefs_secret_key.get_secret_value():
            missing.append("lakefs_secret_key")
        if missing:
            raise ValueError(f"lakefs_endpoint is set, so {', '.join(missing)} must be set too")
        if "{repo}" not in self.lakefs_storage_namespace:
            raise ValueError("lakefs_storage_namespace must contain {repo} (each repository needs its own "
                             "namespace), e.g. s3://kohakuhub/lakefs/{repo}")
        return self

    @model_validator(mode="after")
    def _s3_part_size(self) -> Settings:
        if self.uses_s3 and self.lfs_multipart_chunk_size_bytes < S3_MIN_PART_BYTES:
            raise ValueError(
                f"lfs_multipart_chunk_size_bytes is {self.lfs_multipart_chunk_size_bytes}, but S3 refuses parts "
                f"under 5 MiB ({S3_MIN_PART_BYTES} bytes): set at least that, or store LFS objects locally")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(CONFIG_FILE_ENV)
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)

    # --- derived values ------------------------------------------------------------------------------

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data dir."""
        return self.database_url or f"sqlite:///{self.data_dir / 'hub.db'}"

    @property
    def uses_s3(self) -> bool:
        """True when LFS objects live in S3 (an endpoint or a bucket is configured)."""
        return bool(self.s3_endpoint or self.s3_bucket)

    @property
    def s3_bucket_name(self) -> str:
        return self.s3_bucket or "kohakuhub"

    @property
    def lakefs_enabled(self) -> bool:
        """True when hub repos are mirrored into lakeFS."""
        return bool(self.lakefs_endpoint)

    @property
    def git_dir(self) -> Path:
        """Where the bare git repositories live."""
        return self.data_dir / "repos"

    @property
    def blob_dir(self) -> Path:
        """Where the local blob store keeps LFS objects."""
        return self.data_dir / "blobs"

    @property
    def spool_dir(self) -> Path:
        """Scratch space for request bodies being received (same disk as the blob store)."""
        return self.data_dir / "blobs" / ".tmp"

    def effective_session_secret(self) -> str:
        """The session/URL-signing secret; generated once into the data dir when not configured.

        Keeping it in the data dir lets every worker and the CLI share it without configuration.
        """
        if self.session_secret.get_secret_value():
            return self.session_secret.get_secret_value()
        path = self.data_dir / ".session_secret"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(secrets.token_hex(32))
            os.chmod(tmp, 0o600)
            try:
                os.link(tmp, path)  # first writer wins; others read its value
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        return path.read_text().strip()


def _unknown_env_keys() -> list[str]:
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields} | {CONFIG_FILE_ENV}
    return sorted(k for k in os.environ
                  if k.startswith(ENV_PREFIX) and not k.startswith(TEST_ENV_PREFIX) and k not in known)


# Placeholders of docker-compose.example.yml and the documentation, and the stock credentials of the
# images it uses (MinIO, PostgreSQL): anyone can read them, so a hub other machines reach must not use them.
PLACEHOLDER_MARKERS = ("change-me", "changeme", "change_me", "replace-me", "placeholder")
KNOWN_DEFAULT_SECRETS = frozenset({"minioadmin", "postgres", "password", "secret", "admin", "kohakuhub"})


def is_placeholder(value: str) -> bool:
    """True when a secret is a documented placeholder or a well-known default credential."""
    lowered = value.strip().lower()
    return lowered in KNOWN_DEFAULT_SECRETS or any(marker in lowered for marker in PLACEHOLDER_MARKERS)


def is_loopback_url(url: str) -> bool:
    """True when ``url`` names this machine only (localhost, 127.0.0.0/8, ::1)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def placeholder_secrets(settings: Settings) -> list[str]:
    """The environment names of secrets still set to a placeholder or default value."""
    found = [name for name, value in (
        ("SESSION_SECRET", settings.session_secret.get_secret_value()),
        ("ADMIN_TOKEN", settings.admin_token.get_secret_value()),
        ("S3_SECRET_KEY", settings.s3_secret_key.get_secret_value()),
        ("LAKEFS_SECRET_KEY", settings.lakefs_secret_key.get_secret_value()),
    ) if value and is_placeholder(value)]
    password = urlsplit(settings.database_url).password if settings.database_url else None
    if password and is_placeholder(unquote(password)):
        found.append("DATABASE_URL (its password)")
    return [f"{ENV_PREFIX}{name}" for name in found]


def check_secrets(settings: Settings) -> None:
    """Refuse placeholder secrets on a hub that other machines can reach (a loopback base URL may keep them).

    Raises:
        ConfigError: naming every such setting.
    """
    unsafe = placeholder_secrets(settings)
    if unsafe and not is_loopback_url(settings.base_url):
        raise ConfigError(
            f"Refusing to start: {ENV_PREFIX}BASE_URL ({settings.base_url}) is not a loopback address, "
            f"but these secrets still have a placeholder or default value: {', '.join(unsafe)}. Set real "
            "secrets (python scripts/generate_docker_compose.py generates them).")


def load_settings(**overrides: object) -> Settings:
    """Build Settings from overrides, environment and TOML file, failing with a clear message.

    Raises:
        ConfigError: an unknown ``KOHAKU_HUB_*`` variable or TOML key, an invalid value, or a placeholder
            secret on a hub reachable from other machines (``check_secrets``).
    """
    unknown = _unknown_env_keys()
    if unknown:
        raise ConfigError(f"Unknown setting(s) in the environment: {', '.join(unknown)}")
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        settings = Settings(**clean)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"Invalid configuration: {problems}") from exc
    check_secrets(settings)
    return settings
