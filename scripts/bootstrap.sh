#!/usr/bin/env bash
# Installs what building and testing sfu needs, from Debian 12's packages. Does nothing
# when everything is present. Usage: scripts/bootstrap.sh [--fuzz | --build-only]
#   --fuzz        also clang and its runtime, for the libFuzzer targets (the fuzz preset)
#   --build-only  only what building needs (no test clients), e.g. for a container image
set -euo pipefail

build_packages=(
  # Toolchain
  g++ cmake ninja-build ccache pkg-config
  # Libraries
  libuv1-dev libssl-dev libsrtp2-dev libusrsctp-dev libabsl-dev nlohmann-json3-dev
  libwebsockets-dev libwebsockets-evlib-uv zlib1g-dev
  # Tests and benchmarks (they are built with the project)
  googletest libgtest-dev libgmock-dev libbenchmark-dev
)
test_packages=(
  # Real WebRTC clients for the end-to-end tests
  python3 python3-websockets python3-aiortc python3-numpy python3-pil chromium chromium-driver
  # Plain RTP clients: the plain transport test runs ffmpeg; docs/plain-rtp.md shows GStreamer
  ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  # The control API docs check (tests/docs/) validates examples against the schema
  python3-jsonschema
  # Network namespaces and packet filtering for the ICE-TCP test
  iproute2 nftables util-linux
)
packages=("${build_packages[@]}")
case "${1:-}" in
  --build-only) ;;
  --fuzz) packages+=("${test_packages[@]}" clang libclang-rt-14-dev) ;;
  *) packages+=("${test_packages[@]}") ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "bootstrap: installing ${missing[*]}" >&2
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "bootstrap: run as root or install sudo" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
