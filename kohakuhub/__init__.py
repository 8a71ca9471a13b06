"""KohakuHub: a self-hosted hub that speaks the Hugging Face Hub protocol."""

__version__ = "0.1.0"
