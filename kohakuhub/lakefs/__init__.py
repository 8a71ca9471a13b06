"""The lakeFS mirror's adapter (ARCHITECTURE.md: a mirror, not a second store of truth).

``base.py`` is the port the mirror service talks to; ``sdk.py`` implements it with the ``lakefs-sdk``
package, the only module of the hub that imports it.
"""
