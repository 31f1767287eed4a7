#!/usr/bin/env bash
# Builds the torch worker image with BuildKit, with its SBOM and provenance attached:
#   CUDA_BASE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04@sha256:... TORCH_INDEX=https://download.pytorch.org/whl/cu128 \
#     deploy/images/worker-torch/build.sh registry.example/tuneforge/worker-torch:0.1.0 [--push]
set -euo pipefail
image=${1:?usage: build.sh IMAGE [docker buildx build options]}
shift
: "${CUDA_BASE:?set CUDA_BASE to the CUDA base image by digest}"
: "${TORCH_INDEX:?set TORCH_INDEX to the PyTorch wheel index for that CUDA}"
if [[ "$CUDA_BASE" != *@sha256:* ]]; then
  echo "CUDA_BASE must name its image by digest (…@sha256:…), got $CUDA_BASE" >&2
  exit 2
fi
repo=$(cd "$(dirname "$0")/../../.." && pwd)
exec docker buildx build "$repo" -f "$repo/deploy/images/worker-torch/Dockerfile" -t "$image" \
    --build-arg CUDA_BASE="$CUDA_BASE" --build-arg TORCH_INDEX="$TORCH_INDEX" \
    --build-arg REVISION="$(git -C "$repo" rev-parse HEAD)" \
    --sbom=true --provenance=true "$@"
