// The TLS side of the connection to AWS IoT Core: an OpenSSL context that verifies the
// server against system/rootCaPath and its host name, presents the device certificate
// and key (a file or a pkcs11: URI, through OpenSSL's store API), offers ALPN on 443;
// and TLS failures told in words a user can act on.
#pragma once

#include "iot_settings.hpp"

#include "ggl/error.hpp"

#include <openssl/ssl.h>

#include <memory>
#include <string>

namespace ggl::iotcored {

struct SslCtxFree {
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtx = std::unique_ptr<SSL_CTX, SslCtxFree>;

// CONFIG naming the file (or URI) and what is wrong with it: unreadable, not a
// certificate, a key that does not match the certificate, an expired certificate.
Result<SslCtx> make_tls_context(const IotSettings& settings);

// Why the server's certificate was refused (X509 verify error in words), as the
// context's verify callback last saw it on this thread; empty when it was not.
std::string last_server_verify_error();
void clear_server_verify_error();

// A user's reading of a failed connection: the TLS or socket error as libmosquitto
// logged it (OpenSSL's text), and the server verify error, in what it means and what to
// check. Falls back to the text itself.
std::string describe_connect_failure(const std::string& logged, const std::string& verify_error,
                                     const IotSettings& settings);

} // namespace ggl::iotcored
