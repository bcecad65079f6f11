# apt.sh: sourced by the dependency scripts (deps.sh, ui_deps.sh,
# krb_deps.sh). Run as root.

# apt_missing PKG...: sets the array `missing` to those of PKG... that dpkg
# does not have installed.
apt_missing() {
  missing=()
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
}

# apt_install_missing: installs the packages in `missing`, if any. Another
# apt run may hold the dpkg lock: wait for it rather than fail.
apt_install_missing() {
  [ ${#missing[@]} -gt 0 ] || return 0
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
