"""Executes notebooks headless (nbclient) and fails on the first cell error.

    run_notebooks.py NOTEBOOK...

Each runs in its own directory, in a fresh kernel of the interpreter running
this script's kernelspec ("python3"); the notebook files are not modified.
"""
import pathlib
import sys
import time

import nbclient
import nbformat


def main(paths):
    for path in map(pathlib.Path, paths):
        start = time.monotonic()
        notebook = nbformat.read(path, as_version=4)
        client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                         resources={"metadata": {"path": str(path.parent)}})
        client.execute()
        print(f"{path.name}: {len(notebook.cells)} cells ran in {time.monotonic() - start:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
