"""kefu (客服): a self-hosted contact centre in one Python package."""

__version__ = "0.1.0"
