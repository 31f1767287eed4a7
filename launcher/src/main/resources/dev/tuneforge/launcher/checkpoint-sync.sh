# The sync sidecar of a Kubernetes worker pod (KubernetesLauncher): uploads out/checkpoint-<n>/ to
# ${CHECKPOINT_PREFIX}step-<n>/ and out/adapter/ or out/model/ to ${OUTPUT_PREFIX}<kind>/ as they appear,
# and an evaluation's out/results/ to ${OUTPUT_PREFIX}results/.
# The worker writes each of them into a temporary directory and renames it, so a directory that exists under
# its final name is complete; out/results/ is complete once out/results/results.jsonl exists (the worker
# writes results.jsonl.partial and renames it). Every upload ends with manifest.json (each file's path, size and sha256, and the
# directory's digest: sha256 of the sorted "path sha256" lines), the layout the trainer's DirectorySync writes
# and reads: a directory with a manifest is complete. On SIGTERM (Kubernetes stops a sidecar after the worker
# has exited) one last pass uploads what the worker wrote last, then out/trainer_state.json if there is an output.
# Needs mc and a POSIX shell with sha256sum, sort, wc and cut.
set -u
out=${WORK:-/work}/out
state=${SYNC_STATE:-/mc/synced}
interval=${SYNC_INTERVAL:-10}
stop=0
trap 'stop=1' TERM INT
mkdir -p "$state" || exit 1
mc alias set s3 "$S3_ENDPOINT" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" > /dev/null || exit 1

# walk DIR: the files under DIR, relative to $root, one a line
walk() {
  for p in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    if [ -d "$p" ]; then
      walk "$p"
    elif [ -f "$p" ]; then
      printf '%s\n' "${p#"$root"/}"
    fi
  done
}

# upload DIR PREFIX: every file of DIR under PREFIX, then PREFIX/manifest.json
upload() {
  root=$1
  prefix=$2
  tmp=$state/upload
  walk "$root" | LC_ALL=C sort > "$tmp.files"
  : > "$tmp.lines"
  printf '{"files":[' > "$tmp.json"
  sep=''
  while IFS= read -r f; do
    [ "$f" = manifest.json ] && continue
    sha=$(sha256sum "$root/$f" | cut -d ' ' -f 1)
    size=$(($(wc -c < "$root/$f")))
    mc cp --quiet "$root/$f" "s3/$S3_BUCKET/$prefix$f" > /dev/null || return 1
    printf '%s %s\n' "$f" "$sha" >> "$tmp.lines"
    printf '%s{"path":"%s","size":%s,"sha256":"%s"}' "$sep" "$f" "$size" "$sha" >> "$tmp.json"
    sep=','
  done < "$tmp.files"
  digest=$(sha256sum < "$tmp.lines" | cut -d ' ' -f 1)
  printf '],"sha256":"%s"}\n' "$digest" >> "$tmp.json"
  mc cp --quiet "$tmp.json" "s3/$S3_BUCKET/${prefix}manifest.json" > /dev/null || return 1
  echo "uploaded $root to $prefix, sha256 $digest"
}

# sync_all: uploads every complete directory not uploaded yet; $pending says whether one failed
sync_all() {
  pending=0
  if [ -n "${CHECKPOINT_PREFIX:-}" ]; then
    for d in "$out"/checkpoint-*; do
      n=${d##*/checkpoint-}
      case $n in '' | *[!0-9]*) continue ;; esac
      if [ -d "$d" ] && [ ! -e "$state/checkpoint-$n" ]; then
        if upload "$d" "${CHECKPOINT_PREFIX}step-$n/"; then touch "$state/checkpoint-$n"; else pending=1; fi
      fi
    done
  fi
  if [ -n "${OUTPUT_PREFIX:-}" ]; then
    for kind in adapter model; do
      if [ -d "$out/$kind" ] && [ ! -e "$state/$kind" ]; then
        if upload "$out/$kind" "$OUTPUT_PREFIX$kind/"; then touch "$state/$kind"; else pending=1; fi
      fi
    done
    if [ -f "$out/results/results.jsonl" ] && [ ! -e "$state/results" ]; then
      if upload "$out/results" "${OUTPUT_PREFIX}results/"; then touch "$state/results"; else pending=1; fi
    fi
  fi
}

while [ "$stop" = 0 ]; do
  sync_all
  [ "$stop" = 0 ] || break
  sleep "$interval" &
  wait $!
done
sync_all
failed=$pending
if [ -n "${OUTPUT_PREFIX:-}" ] && [ -f "$out/trainer_state.json" ] && { [ -e "$state/adapter" ] || [ -e "$state/model" ]; }; then
  mc cp --quiet "$out/trainer_state.json" "s3/$S3_BUCKET/${OUTPUT_PREFIX}trainer_state/trainer_state.json" > /dev/null || failed=1
fi
exit $failed
