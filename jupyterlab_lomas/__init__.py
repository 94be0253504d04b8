"""Lomas for JupyterLab: the prebuilt (federated) JupyterLab extension, packaged for pip."""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built by hatchling
    __version__ = "dev"


def _jupyter_labextension_paths():
    """Tells JupyterLab where the prebuilt extension lives when loaded from this package."""
    return [{"src": "labextension", "dest": "jupyterlab-lomas"}]
