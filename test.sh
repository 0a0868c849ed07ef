#!/usr/bin/env bash
# Installs what the tests need (Debian's redis-tools, redis-server, python3-redis, and liblua5.1-0,
# lua-cjson, lua-bitop for scripting) when missing,
# builds everything with warnings as errors, runs every test and ends with "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")"
need=()
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# The carmine-cli TLS tests make their certificates with openssl.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
/usr/bin/python3 -c 'import redis' >/dev/null 2>&1 || need+=(python3-redis)
# Scripting embeds Lua 5.1 as Redis does, with the cjson and bit C modules.
for pkg in liblua5.1-0 lua-cjson lua-bitop; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
dotnet build -c Release Carmine.slnx -warnaserror -nologo -v quiet
log=$(mktemp)
status=0
dotnet test -c Release Carmine.slnx --no-build --nologo -- RunConfiguration.TestSessionTimeout=1500000 2>&1 | tee "$log" || status=$?
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "$passed passed, $failed failed"
exit $status
