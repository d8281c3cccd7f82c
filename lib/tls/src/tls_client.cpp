// TLS client contexts for AWS endpoints (TLS >= 1.2, CA, host name, device key through
// OSSL_STORE or, for pkcs11: URIs, the pkcs11 engine, ALPN) and connection failures in words.
#include "ggl/tls_client.hpp"

#include "pkcs11_key.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/store.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace ggl::tls {

namespace {

thread_local std::string verify_error;

std::string openssl_error() {
    std::string text = take_openssl_error();
    return text.empty() ? "unknown OpenSSL error" : text;
}

Error config_error(const std::string& message) { return make_error(ErrorCode::Config, message); }

int verify_callback(int preverified, X509_STORE_CTX* store) {
    if (!preverified) {
        int error = X509_STORE_CTX_get_error(store);
        verify_error = X509_verify_cert_error_string(error);
        if (error == X509_V_ERR_HOSTNAME_MISMATCH) {
            verify_error = "the server's certificate is not for the endpoint's host name";
        }
    }
    return preverified;
}

// The private key in the file (or at the URI) an OSSL_STORE loader opens; nullptr
// when the store could not open it, with OpenSSL's reason in `why`.
Result<detail::Pkey> load_store_key(const std::string& uri, std::string& why) {
    OSSL_STORE_CTX* store = OSSL_STORE_open(uri.c_str(), nullptr, nullptr, nullptr, nullptr);
    if (store == nullptr) {
        why = openssl_error();
        return detail::Pkey();
    }
    detail::Pkey key;
    while (!key && !OSSL_STORE_eof(store)) {
        OSSL_STORE_INFO* info = OSSL_STORE_load(store);
        if (info == nullptr) break;
        if (OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY) {
            key.reset(OSSL_STORE_INFO_get1_PKEY(info));
        }
        OSSL_STORE_INFO_free(info);
    }
    OSSL_STORE_close(store);
    ERR_clear_error();
    if (!key) {
        return config_error("system/privateKeyPath " + redact_pin(uri) +
                            (is_pkcs11_uri(uri) ? ": the token has no such key" : ": no private key in it"));
    }
    return key;
}

// The private key at a path or URI: the store first (files; pkcs11: where a PKCS#11
// provider is configured for OpenSSL), then, for a pkcs11: URI the store has no loader
// for, the pkcs11 engine with `pkcs11_module` (else $GGL_PKCS11_MODULE, else its default).
Result<detail::Pkey> load_private_key(const std::string& uri, const std::string& pkcs11_module) {
    std::string why;
    auto key = load_store_key(uri, why);
    if (!key || *key) return key;
    if (!is_pkcs11_uri(uri)) {
        return config_error("system/privateKeyPath " + uri + ": cannot open it (" + why + ")");
    }
    std::string module = pkcs11_module;
    if (const char* named = std::getenv("GGL_PKCS11_MODULE"); module.empty() && named != nullptr) module = named;
    return detail::load_engine_key(uri, module);
}

std::string date_of(const ASN1_TIME* time) {
    struct tm when {};
    if (ASN1_TIME_to_tm(time, &when) != 1) return "an unreadable date";
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &when);
    return text;
}

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

} // namespace

std::string take_openssl_error() {
    unsigned long code = ERR_peek_last_error();
    char text[256] = "";
    if (code != 0) ERR_error_string_n(code, text, sizeof text);
    ERR_clear_error();
    return text;
}

std::string last_server_verify_error() { return verify_error; }
void clear_server_verify_error() { verify_error.clear(); }

Result<SslCtx> client_context(const Identity& identity, const Endpoint& endpoint) {
    SslCtx ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx) {
        return make_error(ErrorCode::Failure, "cannot make a TLS context: " + openssl_error());
    }
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    if (SSL_CTX_load_verify_locations(ctx.get(), identity.root_ca_path.c_str(), nullptr) != 1) {
        return config_error("system/rootCaPath " + identity.root_ca_path + ": no CA certificate could be read (" +
                            openssl_error() + ")");
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, verify_callback);
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    // An address is checked against the certificate's IP addresses, a name against its DNS names.
    bool checkable = X509_VERIFY_PARAM_set1_ip_asc(param, endpoint.host.c_str()) == 1 ||
                     X509_VERIFY_PARAM_set1_host(param, endpoint.host.c_str(), 0) == 1;
    ERR_clear_error();
    if (!checkable) {
        return config_error("the endpoint " + endpoint.host + " is not a host name OpenSSL can check");
    }
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), identity.certificate_path.c_str()) != 1) {
        return config_error("system/certificateFilePath " + identity.certificate_path +
                            ": no certificate could be read (" + openssl_error() + ")");
    }
    X509* certificate = SSL_CTX_get0_certificate(ctx.get());
    if (X509_cmp_current_time(X509_get0_notAfter(certificate)) < 0) {
        return config_error("system/certificateFilePath " + identity.certificate_path +
                            ": the certificate expired on " + date_of(X509_get0_notAfter(certificate)) +
                            "; AWS IoT Core will refuse it");
    }
    auto key = load_private_key(identity.private_key, identity.pkcs11_module);
    if (!key) {
        return std::move(key).error();
    }
    if (SSL_CTX_use_PrivateKey(ctx.get(), key->get()) != 1 || SSL_CTX_check_private_key(ctx.get()) != 1) {
        ERR_clear_error();
        return config_error("system/privateKeyPath " + redact_pin(identity.private_key) +
                            ": the key does not match the certificate " + identity.certificate_path);
    }
    if (!endpoint.alpn.empty()) {
        std::string protocols = std::string(1, static_cast<char>(endpoint.alpn.size())) + endpoint.alpn;
        if (endpoint.alpn.size() > 255 ||
            SSL_CTX_set_alpn_protos(ctx.get(), reinterpret_cast<const unsigned char*>(protocols.data()),
                                    static_cast<unsigned>(protocols.size())) != 0) {
            return make_error(ErrorCode::Failure, "cannot offer ALPN " + endpoint.alpn);
        }
    }
    return ctx;
}

std::string describe_connect_failure(const std::string& logged, const std::string& verify_failure,
                                     const Identity& identity, const Endpoint& endpoint) {
    std::string where = endpoint.host + ":" + std::to_string(endpoint.port);
    if (!verify_failure.empty() || contains(logged, "certificate verify failed")) {
        return "the server at " + where + " did not prove itself with a certificate from system/rootCaPath " +
               identity.root_ca_path + (verify_failure.empty() ? "" : " (" + verify_failure + ")");
    }
    if (contains(logged, "certificate expired")) {
        return "AWS IoT Core refused the device certificate " + identity.certificate_path + ": it has expired";
    }
    if (contains(logged, "unknown ca") || contains(logged, "bad certificate") ||
        contains(logged, "certificate unknown") || contains(logged, "certificate required") ||
        contains(logged, "access denied")) {
        return "AWS IoT Core refused the device certificate " + identity.certificate_path +
               ": it is not registered and active in this account and region, or its CA is unknown (" + logged + ")";
    }
    if (contains(logged, "no application protocol") || contains(logged, "alpn")) {
        return "the server at " + where + " refused ALPN " +
               (endpoint.alpn.empty() ? "(none offered)" : endpoint.alpn) + " (" + logged + ")";
    }
    if (contains(logged, "unexpected eof")) {
        return "the server at " + where +
               " closed the connection in the TLS handshake: it may not accept the device "
               "certificate " +
               identity.certificate_path + " (" + logged + ")";
    }
    if (contains(logged, "The connection was lost")) {
        return "the server at " + where + " closed the connection before answering" +
               (!endpoint.alpn.empty() ? std::string()
                                       : std::string(" (if it is AWS IoT on port 443, it needs ALPN: set mqtt/port "
                                                     "to 443)"));
    }
    if (contains(logged, "Connection refused")) {
        return "nothing accepts connections at " + where + " (connection refused)";
    }
    if (contains(logged, "Lookup error") || contains(logged, "Name or service not known") ||
        contains(logged, "Temporary failure in name resolution")) {
        return "the endpoint " + endpoint.host + " does not resolve (check iotDataEndpoint and DNS)";
    }
    if (logged.empty()) {
        return "the connection to " + where + " failed";
    }
    return "the connection to " + where + " failed: " + logged;
}

} // namespace ggl::tls
