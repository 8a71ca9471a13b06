"""``uvicorn kohakuhub.main:app``: the hub configured from the environment."""

from kohakuhub.app import create_app
from kohakuhub.config import load_settings
from kohakuhub.errors import ConfigError

try:
    settings = load_settings()
except ConfigError as exc:  # one clear line for the operator rather than a traceback
    raise SystemExit(f"KohakuHub configuration error: {exc.message}") from None

app = create_app(settings)
