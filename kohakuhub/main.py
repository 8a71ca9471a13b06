"""``uvicorn kohakuhub.main:app``: the hub configured from the environment."""

from kohakuhub.app import create_app
from kohakuhub.config import load_settings

app = create_app(load_settings())
