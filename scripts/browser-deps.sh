#!/usr/bin/env bash
# Headless Chromium for the browser tests, from Debian's packages (never a browser download).
# Installs chromium, chromium-driver and poppler-utils (pdftoppm) when missing and we may.
command -v chromium >/dev/null && command -v pdftoppm >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian chromium, chromium-driver and poppler-utils for the browser tests..."
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      chromium chromium-driver poppler-utils fonts-dejavu-core >/dev/null; } 2>&1 | tail -3
fi
command -v chromium >/dev/null || echo "Chromium is not installed: browser tests will be SKIPPED (install Debian's chromium package)."
