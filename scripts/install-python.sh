#!/usr/bin/env bash
# install-python.sh - install the Python module `rewire` of a build tree for
# Debian's python3, then check that it imports from outside the repository.
#
#   scripts/install-python.sh [BUILD_DIR]     default: build/release
#
# `cmake --install BUILD_DIR --component rewire_Python` copies the package
# into the interpreter's site directory under the build's install prefix
# (/usr/local/lib/python3.X/dist-packages for the default prefix /usr/local),
# which Debian's /usr/bin/python3 searches. Uses sudo only when not root.
# scripts/test.sh calls it after the release preset's tests pass, so after
# the README's test command `python3 -c "import rewire"` works.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build/release}

if [ ! -d "$build/python/rewire" ]; then
  echo "install-python.sh: $build has no Python module (configure with the release preset first)" >&2
  exit 2
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
"${sudo[@]}" cmake --install "$build" --component rewire_Python

# The interpreter the module was built for (CMake's cache), from a directory
# where the build tree's copy cannot shadow the installed one.
python=$(sed -n 's/^Python_EXECUTABLE:FILEPATH=//p' "$build/CMakeCache.txt")
python=${python:-/usr/bin/python3}
where=$(cd / && env -u PYTHONPATH "$python" -c "import rewire; print(rewire.__file__)")
version=$(cd / && env -u PYTHONPATH "$python" -c "import rewire; print(rewire.__version__)")
echo "install-python.sh: rewire $version for $python: $(dirname "$where")"

# `python3` on PATH may be another interpreter (pyenv, a virtual environment)
# that does not search Debian's directories. If it has the same extension ABI
# (EXT_SUFFIX), the package goes into its site directory too, so that
# `python3 -c "import rewire"` works there; its arrays need numpy in that
# interpreter.
path_python=$(command -v python3 || true)
if [ -n "$path_python" ] && [ "$(readlink -f "$path_python")" != "$(readlink -f "$python")" ]; then
  ext_suffix='import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))'
  if [ "$(python3 -c "$ext_suffix")" = "$("$python" -c "$ext_suffix")" ]; then
    site=$(python3 -c 'import sysconfig; print(sysconfig.get_path("platlib"))')
    as=("${sudo[@]}")
    if [ -w "$site" ]; then as=(); fi  # a user's own pyenv or venv: no sudo
    "${as[@]}" rm -rf "$site/rewire"
    "${as[@]}" cp -r "$(dirname "$where")" "$site/rewire"
    if (cd / && env -u PYTHONPATH python3 -c "import rewire"); then
      echo "install-python.sh: also for $path_python (python3 on PATH): $site/rewire"
      if ! (cd / && env -u PYTHONPATH python3 -c "import numpy" 2>/dev/null); then
        echo "install-python.sh: note: $path_python has no numpy; use $python for rewire's arrays" >&2
      fi
    else
      "${as[@]}" rm -rf "$site/rewire"
      echo "install-python.sh: note: rewire does not import in $path_python (above); use $python" >&2
    fi
  else
    echo "install-python.sh: note: python3 on PATH ($path_python) has another extension ABI;" \
         "use $python for rewire" >&2
  fi
fi
