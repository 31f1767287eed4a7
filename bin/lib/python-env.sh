# Sourced by bin/tuneforge: the torch runtime's Python environment, made by the project itself.
#
# tuneforge_python_env REPO   creates (or brings up to date) REPO/worker/python/.venv with the torch runtime
#                             (worker/python, editable) and its test and benchmark extras, pinned by
#                             worker/python/constraints.txt; prints the environment's python on stdout.
#
# It is rebuilt only when pyproject.toml or constraints.txt change (a stamp file records their digest), so
# every later call costs a few milliseconds. Packages come from wherever pip is configured to take them. One
# exception: where pip's configuration lists package indexes on this machine's disk (file:// URLs), pip is
# pointed at those alone, because with an unreachable public index left as its default pip waits on retries
# for every package (minutes instead of seconds). On a machine without such indexes nothing is overridden.
# Python >= 3.10: $TUNEFORGE_PYTHON, else python3.

tuneforge_python_env() {
  local repo="$1" root venv stamp want python
  root="$repo/worker/python"
  venv="$root/.venv"
  stamp="$venv/.tuneforge-stamp"
  want="$(cat "$root/pyproject.toml" "$root/constraints.txt" | sha256sum | cut -d' ' -f1)"
  if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "$venv/bin/python"
    return 0
  fi
  # Two builds (or a build and a torch slot's bootstrap) may ask at once: one makes it, the other waits and finds
  # it made.
  if command -v flock > /dev/null 2>&1; then
    mkdir -p "$root/target"
    local lock
    exec {lock}> "$root/target/.python-env.lock"
    flock "$lock"
    if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
      exec {lock}>&-
      echo "$venv/bin/python"
      return 0
    fi
  fi
  python="${TUNEFORGE_PYTHON:-python3}"
  if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
    echo "tuneforge: the torch runtime needs Python >= 3.10 ('$python' is missing or older); set TUNEFORGE_PYTHON" >&2
    return 1
  fi
  echo "tuneforge: creating the torch runtime's environment in $venv (a minute or two, once)..." >&2
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv" >&2 || return 1
  local -a index_args=()
  mapfile -t index_args < <(tuneforge_local_index_args "$python")
  # shellcheck disable=SC2068 # index_args is a list of separate arguments
  "$venv/bin/python" -m pip install --disable-pip-version-check -qq ${index_args[@]+"${index_args[@]}"} \
      -c "$root/constraints.txt" -e "$root[test,bench]" >&2 || {
    echo "tuneforge: installing the torch runtime into $venv failed (see above)" >&2
    return 1
  }
  echo "$want" > "$stamp"
  [ -z "${lock:-}" ] || exec {lock}>&-
  echo "$venv/bin/python"
}

# One argument per line: --index-url FIRST --extra-index-url OTHER... when pip's configuration (or
# PIP_INDEX_URL / PIP_EXTRA_INDEX_URL) names file:// indexes; nothing otherwise.
tuneforge_local_index_args() {
  local python="$1" urls=() url
  while read -r url; do
    case "$url" in file://*) urls+=("$url") ;; esac
  done < <( { "$python" -m pip config list 2>/dev/null | sed -n "s/^[^=]*index-url='\(.*\)'$/\1/p"
              echo "${PIP_INDEX_URL:-} ${PIP_EXTRA_INDEX_URL:-}"; } | tr ' ' '\n' | sed '/^$/d' | awk '!seen[$0]++')
  [ "${#urls[@]}" -gt 0 ] || return 0
  printf '%s\n' --index-url "${urls[0]}"
  for url in "${urls[@]:1}"; do
    printf '%s\n' --extra-index-url "$url"
  done
}
