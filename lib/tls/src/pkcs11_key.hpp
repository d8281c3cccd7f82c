// Device private keys named by pkcs11: URIs (RFC 7512), opened through libp11's pkcs11
// engine when no OSSL_STORE loader (a PKCS#11 provider) knows the scheme: lib/tls's own.
#pragma once

#include "ggl/error.hpp"

#include <openssl/evp.h>

#include <memory>
#include <string>

namespace ggl::tls::detail {

struct PkeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// The private key `uri` names, through the pkcs11 engine with the PKCS#11 module at
// `module` (empty: the engine's default, p11-kit's proxy). The PIN is the URI's pin-value
// or pin-source; nothing prompts for one. CONFIG errors name the URI without its PIN.
Result<Pkey> load_engine_key(const std::string& uri, const std::string& module);

} // namespace ggl::tls::detail
