#!/bin/sh
# A stand-in for mc in the script tests: "alias set" does nothing, s3/<bucket>/<key> is $FAKE_S3/<bucket>/<key>.
echo "mc $*" >> "$FAKE_S3.calls"
cmd=$1
shift
[ "$cmd" = alias ] && exit 0
while [ "${1#--}" != "$1" ]; do shift; done
map() {
  case $1 in
    s3/*) printf '%s/%s' "$FAKE_S3" "${1#s3/}" ;;
    *) printf '%s' "$1" ;;
  esac
}
src=$(map "$1")
dst=$(map "$2")
case $cmd in
  cp) mkdir -p "$(dirname "$dst")" && cp "$src" "$dst" ;;
  mirror) [ -d "$src" ] && mkdir -p "$dst" && cp -R "$src/." "$dst/" ;;
  *) echo "fake mc: $cmd not faked" >&2; exit 2 ;;
esac
