// TLS clients of AWS endpoints on OpenSSL: a context that verifies the server against the
// device's root CA and the endpoint's host name, presents the device certificate and key
// (a file, or a pkcs11: URI: OpenSSL's store API, else libp11's pkcs11 engine), offers ALPN when asked;
// and connection failures in words a user can act on. The keys named in messages are the
// Greengrass configuration's (system/certificateFilePath, ...).
#pragma once

#include "ggl/error.hpp"

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

namespace ggl::tls {

// The device identity, as system/certificateFilePath, system/privateKeyPath and
// system/rootCaPath name it.
struct Identity {
    std::string certificate_path;
    std::string private_key; // a path, or a URI: OSSL_STORE_open's, else pkcs11: through the engine
    std::string root_ca_path;
    // The PKCS#11 module (a .so) that opens a pkcs11: private_key through the pkcs11
    // engine; empty: $GGL_PKCS11_MODULE when set, else the engine's default (p11-kit's proxy).
    std::string pkcs11_module{};
};

// Where a connection goes.
struct Endpoint {
    std::string host; // a name or an address, checked against the server's certificate
    int port = 0;
    std::string alpn; // the one protocol to offer; empty: none
};

struct SslCtxFree {
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtx = std::unique_ptr<SSL_CTX, SslCtxFree>;

// TLS >= 1.2. CONFIG naming the file (or URI) and what is wrong with it: unreadable, not
// a certificate, a key that does not match the certificate, an expired certificate; for a
// pkcs11: key also no PKCS#11 support, no such key on the token, a PIN refused or missing.
// Messages show a URI's pin-value as ***.
Result<SslCtx> client_context(const Identity& identity, const Endpoint& endpoint);

// Whether system/privateKeyPath is a pkcs11: URI (RFC 7512) rather than a file.
bool is_pkcs11_uri(std::string_view private_key);

// system/privateKeyPath as it may be shown or logged: a pkcs11: URI's pin-value as ***.
std::string redact_pin(std::string_view private_key);

// OpenSSL's most recent error in its own words ("error:0A000086:SSL routines::certificate
// verify failed"), its error queue cleared; empty when it has none.
std::string take_openssl_error();

// Why the server's certificate was refused (OpenSSL's verify error in words), as the
// contexts' verify callback last saw it on this thread; empty when it was not.
std::string last_server_verify_error();
void clear_server_verify_error();

// A user's reading of a failed connection from what OpenSSL or the socket reported
// (`logged`, e.g. "error:0A000418:SSL routines::tlsv1 alert unknown ca") and the server
// verify error: what it means and what to check. Falls back to the text itself.
std::string describe_connect_failure(const std::string& logged, const std::string& verify_error,
                                     const Identity& identity, const Endpoint& endpoint);

} // namespace ggl::tls
