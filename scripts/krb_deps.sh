#!/usr/bin/env bash
# Debian 12 packages for the Kerberos (SPNEGO) integration test
# (tests/integration/test_kerberos.py): an MIT KDC, kinit, and Apache with
# mod_auth_gssapi as the Negotiate front of the test Livy server. Run as root.
#
# The test runs its own KDC and Apache as foreground processes from private
# configuration, so the system services these packages ship must not run:
# their start is suppressed during the install (policy-rc.d), and with
# systemd the units are stopped and disabled afterwards.
set -euo pipefail

# krb5-admin-server only for kadmin.local (principals and keytabs offline,
# straight on the database): Debian ships it in no other package.
pkgs=(krb5-kdc krb5-admin-server krb5-user apache2 libapache2-mod-auth-gssapi)
services=(apache2 krb5-kdc krb5-admin-server)

. "$(dirname "$0")/apt.sh"
apt_missing "${pkgs[@]}"

if [ ${#missing[@]} -gt 0 ]; then
  # invoke-rc.d asks policy-rc.d before starting a service; 101 = "not
  # allowed". Only install ours when there is none, and always remove it.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
  fi
  cleanup() { if [ "$own_policy" = 1 ]; then rm -f "$policy"; fi; }
  trap cleanup EXIT
  # krb5-config asks for a default realm; the test brings its own krb5.conf.
  echo "krb5-config krb5-config/default_realm string KINDLING.TEST" | debconf-set-selections
  echo "krb5-config krb5-config/add_servers_realm string KINDLING.TEST" | debconf-set-selections
  echo "krb5-config krb5-config/add_servers boolean false" | debconf-set-selections
  apt_install_missing
  cleanup
  trap - EXIT
fi

# Never leave the packaged services running.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  for s in "${services[@]}"; do
    systemctl disable --now "$s" >/dev/null 2>&1 || true
  done
else
  for s in "${services[@]}"; do
    if [ -x "/etc/init.d/$s" ]; then
      "/etc/init.d/$s" stop >/dev/null 2>&1 || true
    fi
    command -v update-rc.d >/dev/null && update-rc.d "$s" disable >/dev/null 2>&1 || true
  done
fi

for b in krb5kdc kdb5_util kadmin.local kinit kdestroy klist apache2; do
  command -v "$b" >/dev/null || { echo "krb_deps.sh: $b is missing after the install" >&2; exit 1; }
done
test -e /usr/lib/apache2/modules/mod_auth_gssapi.so ||
  { echo "krb_deps.sh: mod_auth_gssapi.so is missing after the install" >&2; exit 1; }
