# Sourced by bin/tuneforge and .ci/run: exports JAVA_HOME pointing at a JDK >= 21.
# Order: an existing JAVA_HOME that is new enough, then `java` on PATH, then the
# system JVM directories (newest first).
tuneforge_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java.specification.version = //p' | head -n 1 | cut -d. -f1
}

tuneforge_find_jdk() {
  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v javac >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
  fi
  local d
  for d in $(ls -d /usr/lib/jvm/*/ /Library/Java/JavaVirtualMachines/*/Contents/Home/ 2>/dev/null | sort -rV); do
    candidates+=("${d%/}")
  done
  for d in "${candidates[@]}"; do
    if [ -x "$d/bin/javac" ]; then
      local major
      major=$(tuneforge_java_major "$d")
      if [ -n "$major" ] && [ "$major" -ge 21 ]; then
        echo "$d"
        return 0
      fi
    fi
  done
  return 1
}

if ! JAVA_HOME=$(tuneforge_find_jdk); then
  echo "tuneforge: no JDK >= 21 found. Install one (e.g. Temurin 21) or set JAVA_HOME." >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
