"""JupyterLab's configuration under `npm run up` (jupyter lab --config=.ci/jupyter_lab_config.py).

The demo notebooks are saved without their outputs: running them leaves `git status` clean, and
the outputs stay on screen until the notebook is closed. Only notebooks tracked by git are
stripped; a notebook of your own keeps its outputs. Stripped: outputs, execution counts, and the
cell metadata that records a run or a view (timings, collapsed or scrolled outputs).
"""
import os
import subprocess

VIEW_STATE = ("execution", "collapsed", "scrolled")


def strip_outputs(nb):
    """Removes what a run adds to a notebook (a dict in nbformat 4), in place."""
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {})
        for key in VIEW_STATE:
            meta.pop(key, None)
        jupyter = meta.get("jupyter")
        if isinstance(jupyter, dict):
            jupyter.pop("outputs_hidden", None)
            jupyter.pop("source_hidden", None)
            if not jupyter:
                meta.pop("jupyter")
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None


def tracked_by_git(os_path):
    """True when git tracks the file (False when it does not, or when there is no git)."""
    try:
        return (
            subprocess.run(
                ["git", "ls-files", "--error-unmatch", "--", os.path.basename(os_path)],
                cwd=os.path.dirname(os_path) or ".",
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=10,
            ).returncode
            == 0
        )
    except (OSError, subprocess.SubprocessError):
        return False


def strip_demo_outputs(model, path, contents_manager, **kwargs):
    """Jupyter's pre-save hook: a notebook tracked by git is saved without its outputs."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    if tracked_by_git(os.path.join(contents_manager.root_dir, path.lstrip("/"))):
        strip_outputs(model["content"])


if "get_config" in globals():  # loaded by Jupyter as a configuration file
    c = get_config()  # noqa: F821 (defined by traitlets for configuration files)
    c.ContentsManager.pre_save_hook = strip_demo_outputs
