#!/usr/bin/env bash
# Installs the Debian 12 packages ggl needs to build, test and run (as root; a no-op when present).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git
  libmsgpack-dev libcli11-dev nlohmann-json3-dev libsystemd-dev libsqlite3-dev
  libcurl4-openssl-dev libssl-dev catch2 libyaml-dev zlib1g-dev libarchive-dev libmosquitto-dev
  clang libclang-rt-14-dev            # the fuzzer
  clang-format                        # tests/check-format.sh: the style of .clang-format
  python3 python3-msgpack             # the interoperability test speaks msgpack without our code
  systemd                             # systemd-socket-activate, the user manager, journald
  strace                              # bench-config counts fsyncs per write
  openssl                             # tests compute artifact digests
  nodejs                              # the AWS IoT Device SDK v2 (npm) drives ggipcd in the IPC tests
  scdoc groff-base                    # the man pages are built with scdoc; the test renders them with groff
  bash-completion zsh fish            # the completion test runs each shell's completion
  file dpkg-dev                       # cpack's .deb: ELF detection and dpkg-shlibdeps for Depends
  mosquitto mosquitto-clients python3-paho-mqtt  # the cloud test stand: IoT Core on loopback (tests/cloud)
  softhsm2 libengine-pkcs11-openssl   # pkcs11: device keys: a SoftHSM token, OpenSSL's pkcs11 engine
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]}; run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's nodejs leaves npm to a package of its own; NodeSource's nodejs brings it (and
# conflicts with Debian's npm), so install npm only when nothing provides it yet.
if ! command -v npm >/dev/null; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: npm is missing; run as root, or: sudo apt-get install npm" >&2
    exit 1
  fi
  echo "install-deps: installing npm"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
