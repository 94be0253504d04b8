"""Lomas for JupyterLab: the prebuilt JupyterLab extension and its Jupyter server extension.

The server extension (handlers.py) holds the connection to the Lomas server: the browser calls
Jupyter's own authenticated server, which adds the API key kept in the notebook library's config
file (connection.py). It is enabled on install by
etc/jupyter/jupyter_server_config.d/jupyterlab_lomas.json (jupyter-config/ in the sources).
"""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built by hatchling
    __version__ = "dev"


def _jupyter_labextension_paths():
    """Tells JupyterLab where the prebuilt extension lives when loaded from this package."""
    return [{"src": "labextension", "dest": "jupyterlab-lomas"}]


def _jupyter_server_extension_points():
    """Tells the Jupyter server which module loads the server extension."""
    return [{"module": "jupyterlab_lomas"}]


def _load_jupyter_server_extension(server_app):
    """Adds the /lomas routes to the Jupyter server."""
    from .connection import config_path
    from .handlers import setup_handlers

    setup_handlers(server_app.web_app)
    server_app.log.info("jupyterlab_lomas: /lomas routes ready (connection file: %s)", config_path())
