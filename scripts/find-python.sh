#!/usr/bin/env bash
# Print the path of a Python interpreter of one minor version (e.g. `3.10`), or explain
# how to get one and exit 1. Looks at $NUANXIN_PYTHON310-style overrides, PATH, pyenv and
# the usual install prefixes, and checks each candidate really is that version.
set -uo pipefail
want="${1:?usage: find-python.sh 3.10}"
var="NUANXIN_PYTHON${want//./}"
candidates=("${!var:-}" "$(command -v "python$want" 2>/dev/null)")
if command -v pyenv >/dev/null 2>&1; then
  candidates+=("$(pyenv root)"/versions/"$want".*/bin/"python$want")
fi
candidates+=(
  "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want".*/bin/"python$want"
  /root/.pyenv/versions/"$want".*/bin/"python$want"
  /usr/local/bin/"python$want" /usr/bin/"python$want" /opt/python/"$want"*/bin/"python$want"
)
for c in "${candidates[@]}"; do
  [ -n "$c" ] && [ -x "$c" ] || continue
  if "$c" -c "import sys, venv; sys.exit(sys.version_info[:2] != tuple(map(int, '$want'.split('.'))))" 2>/dev/null; then
    echo "$c"
    exit 0
  fi
done
echo "error: Python $want was not found (looked at \$$var, PATH, pyenv and /usr/local/bin)." >&2
echo "       Install it, e.g. 'pyenv install $want', or set $var=/path/to/python$want." >&2
exit 1
