#!/usr/bin/env bash
# Debian 12 packages for building and testing Kindling (run as root).
set -euo pipefail
pkgs=(build-essential autoconf automake libtool pkg-config clang
      libzmq3-dev libjansson-dev libssl-dev libcurl4-openssl-dev uuid-dev libpcre2-dev
      python3-jupyter-client python3-ipykernel jupyter-nbconvert jupyter-console
      python3-nbclient jupyter-notebook python3-notebook python3-pytest python3-psutil
      python3-zmq tmux valgrind)
. "$(dirname "$0")/apt.sh"
apt_missing "${pkgs[@]}"
apt_install_missing

# Kerberos (SPNEGO) integration test: MIT KDC, kinit, Apache + mod_auth_gssapi (services left stopped).
bash "$(dirname "$0")/krb_deps.sh"
