# Shared by scripts/demo and scripts/test: Debian packages and the build.
# shellcheck shell=bash

BERTH_SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# What building berth needs.
BUILD_PACKAGES=(
  g++
  cmake
  ninja-build
  pkg-config
  git
  libcurl4-openssl-dev
  nlohmann-json3-dev
  libarchive-dev
  libseccomp-dev
  libcap-dev
  libcli11-dev
  libssl-dev
  libtomlplusplus-dev
  libvalijson-dev
  golang-github-opencontainers-image-spec-dev
)
# What berth uses at run time: id-map helpers, rootfs and network helpers.
RUNTIME_PACKAGES=(
  uidmap
  fuse-overlayfs
  slirp4netns
  passt
  containernetworking-plugins
  netavark
  aardvark-dns
  iptables
  ca-certificates
  libcurl4
  libarchive13
  libssl3
  catatonit
)
# What the demo needs for its example image and registry (built from busybox-static by tests/fixtures).
DEMO_PACKAGES=(
  python3
  python3-requests
  docker-registry
  busybox-static
)
# What the tests need: GoogleTest, pytest, a real registry, busybox for test images,
# the shells and man for completion and man-page tests, the runtime-spec schema and a validator for it, ip for
# the network tests, systemd-analyze for generated units, runc and conmon beside berth-runtime (runc's errors on
# the same bundle; Podman through conmon and containerd through its shim driving berth-runtime).
TEST_PACKAGES=(
  libgtest-dev
  libgmock-dev
  python3
  python3-pytest
  python3-pytest-xdist
  python3-requests
  docker-registry
  busybox-static
  zstd
  openssl
  util-linux
  passwd
  bash-completion
  man-db
  groff-base
  clang-format
  zsh
  fish
  tmux
  python3-yaml
  iproute2
  netavark
  aardvark-dns
  golang-github-opencontainers-specs-dev
  python3-jsonschema
  skopeo
  podman
  buildah
  systemd
  runc
  conmon
  containerd
  podman-compose
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the Debian packages that are missing (nothing to do when all are there).
install_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Configures and builds berth in the given build directory, with extra CMake arguments.
build_berth() {
  local build_dir=$1
  shift
  cmake -S "$BERTH_SOURCE_DIR" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  ninja -C "$build_dir"
}
