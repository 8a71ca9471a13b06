"""kohub-cli: the command line of a KohakuHub server."""

__version__ = "0.1.0"
