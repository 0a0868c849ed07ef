#!/usr/bin/env bash
# Installs what the tests need (Debian's redis-tools and python3-redis) when missing, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")"
need=()
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
/usr/bin/python3 -c 'import redis' >/dev/null 2>&1 || need+=(python3-redis)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
dotnet build -c Release Carmine.slnx -warnaserror
dotnet test -c Release Carmine.slnx --no-build --logger "console;verbosity=normal" -- RunConfiguration.TestSessionTimeout=1200000
