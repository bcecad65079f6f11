#!/usr/bin/env bash
# Dependencies of the headless-browser test (tests/integration/test_ui.py):
# Debian's chromium, Node.js with npm, and playwright-core from the npm
# registry into tests/ui/node_modules at the version tests/ui/package-lock.json
# pins. Run as root; safe to run again.
set -euo pipefail
. "$(dirname "$0")/apt.sh"
cd "$(dirname "$0")/.."

pkgs=(chromium)
# Node.js may come from elsewhere (e.g. NodeSource, which bundles npm): only
# ask Debian for it when there is no node/npm at all.
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)

apt_missing "${pkgs[@]}"
apt_install_missing

# playwright-core drives the system chromium: it must not download browsers.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
# npm ci only when the installed version is not the one the lock file pins.
want=$(node -p "require('./tests/ui/package-lock.json').packages['node_modules/playwright-core'].version")
have=$(node -p "try { require('./tests/ui/node_modules/playwright-core/package.json').version } catch (e) { '' }")
if [ "$want" != "$have" ]; then
  (cd tests/ui && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "ui test dependencies: $(chromium --version 2>/dev/null | head -n1), node $(node --version), playwright-core $want"
