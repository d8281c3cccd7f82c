#!/bin/sh
# Runs a test of pkcs11: device keys against a real SoftHSM token, or reports it skipped
# (exit 77, ctest's SKIP_RETURN_CODE) when softhsm2 or libp11's pkcs11 engine for
# OpenSSL is not installed (tests/install-deps.sh installs both). The command gets the
# SoftHSM module's path as GGL_TEST_SOFTHSM_MODULE.
# Usage: with_softhsm.sh COMMAND [ARG...]
set -u
[ $# -ge 1 ] || { echo "usage: with_softhsm.sh COMMAND [ARG...]" >&2; exit 2; }
if ! command -v softhsm2-util >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then
    echo "skipped: softhsm2-util or openssl is not installed (apt-get install softhsm2 openssl)"
    exit 77
fi
module=
for candidate in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so; do
    [ -r "$candidate" ] && { module=$candidate; break; }
done
if [ -z "$module" ]; then
    echo "skipped: the SoftHSM PKCS#11 module libsofthsm2.so is not installed (apt-get install softhsm2)"
    exit 77
fi
engines=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"$/\1/p')
if [ ! -r "${OPENSSL_ENGINES:-$engines}/pkcs11.so" ]; then
    echo "skipped: the pkcs11 engine for OpenSSL is not installed in ${OPENSSL_ENGINES:-$engines} (apt-get install libengine-pkcs11-openssl)"
    exit 77
fi
GGL_TEST_SOFTHSM_MODULE=$module
export GGL_TEST_SOFTHSM_MODULE
exec "$@"
