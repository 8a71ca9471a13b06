"""Client scenarios run in a fresh interpreter per call (see ``runner.py``).

Each scenario drives the stock ``huggingface_hub``/``datasets`` client against a live hub and returns a
JSON-able dict of observations; the pytest side asserts on them. Running out of process lets every
mode import the client with its own environment, as a user would (``HF_ENDPOINT`` and
``HF_HUB_DISABLE_XET`` are read at import time by ``huggingface_hub.constants``).
"""
