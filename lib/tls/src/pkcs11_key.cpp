// pkcs11: device keys through libp11's pkcs11 engine (Debian 12's OpenSSL 3.0 has no
// PKCS#11 provider, so no OSSL_STORE loader for the scheme): the engine and its module
// kept for the process, the PIN from the URI and never prompted for, failures in words
// that never hold the PIN; and the URI as it may be shown.
// ENGINE is deprecated API in OpenSSL 3; this file is the one that uses it.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "pkcs11_key.hpp"

#include "ggl/tls_client.hpp"

#include <openssl/err.h>
#include <openssl/ui.h>
#ifndef OPENSSL_NO_ENGINE
#include <openssl/engine.h>
#endif

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <mutex>
#include <vector>

namespace ggl::tls {

namespace {

constexpr std::string_view kPinValue = "pin-value=";

// The values of the URI's pin-value attributes, as written (percent-encoded or not).
std::vector<std::string> pins_in(std::string_view uri) {
    std::vector<std::string> pins;
    for (size_t at = uri.find(kPinValue); at != std::string_view::npos; at = uri.find(kPinValue, at + 1)) {
        size_t start = at + kPinValue.size();
        size_t end = uri.find_first_of(";&", start);
        std::string_view pin = uri.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (!pin.empty()) pins.emplace_back(pin);
    }
    return pins;
}

// `text` with every PIN of `uri` in it replaced by ***.
std::string without_pins(std::string text, std::string_view uri) {
    for (const std::string& pin : pins_in(uri)) {
        for (size_t at = text.find(pin); at != std::string::npos; at = text.find(pin, at + 3)) {
            text.replace(at, pin.size(), "***");
        }
    }
    return text;
}

} // namespace

bool is_pkcs11_uri(std::string_view key) {
    constexpr std::string_view scheme = "pkcs11:";
    if (key.size() < scheme.size()) return false;
    for (size_t i = 0; i < scheme.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(key[i])) != scheme[i]) return false;
    }
    return true;
}

std::string redact_pin(std::string_view private_key) {
    std::string shown(private_key);
    if (!is_pkcs11_uri(private_key)) return shown;
    for (size_t at = shown.find(kPinValue); at != std::string::npos; at = shown.find(kPinValue, at + 1)) {
        size_t start = at + kPinValue.size();
        size_t end = shown.find_first_of(";&", start);
        shown.replace(start, (end == std::string::npos ? shown.size() : end) - start, "***");
    }
    return shown;
}

namespace detail {

namespace {

Error key_error(const std::string& uri, const std::string& what) {
    return make_error(ErrorCode::Config, "system/privateKeyPath " + redact_pin(uri) + ": " + without_pins(what, uri));
}

// OpenSSL's error queue, its first error (libp11 puts the PKCS#11 reason first) in
// `first`, all of them returned; the queue cleared.
std::string take_all_openssl_errors(std::string& first) {
    std::string all;
    char text[256];
    for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
        ERR_error_string_n(code, text, sizeof text);
        if (all.empty()) first = text;
        all += (all.empty() ? "" : "; ") + std::string(text);
    }
    return all;
}

bool mentions(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

// Why libp11 or the module failed (OpenSSL's error queue, taken), in words a user can act on.
std::string describe_load_failure(const std::string& module) {
    std::string first;
    std::string reported = take_all_openssl_errors(first);
    std::string detail = first.empty() ? "" : " (" + first + ")";
    if (mentions(reported, "PIN incorrect") || mentions(reported, "PIN invalid") ||
        mentions(reported, "PIN len range")) {
        return "the token refused the PIN (the URI's pin-value or pin-source)" + detail;
    }
    if (mentions(reported, "PIN locked")) {
        return "the token's user PIN is locked after too many wrong PINs" + detail;
    }
    if (mentions(reported, "PIN expired")) return "the token's user PIN has expired" + detail;
    if (mentions(reported, "UI routines") || mentions(reported, "No PIN")) {
        return "the token needs a PIN: add ?pin-value=... or ?pin-source=file:... to the URI" + detail;
    }
    if (mentions(reported, "object not found")) {
        return "the token has no such key (no private key matches the URI's token, object and id)" + detail;
    }
    if (mentions(reported, "load") && mentions(reported, "module")) {
        return "cannot load the PKCS#11 module " + (module.empty() ? std::string("(the engine's default)") : module) +
               detail;
    }
    return "the pkcs11 engine could not load the key" + detail;
}

#ifndef OPENSSL_NO_ENGINE

// Reads no PIN: a daemon has no one to ask, and `ggl check` must not wait on a prompt.
int read_no_pin(UI*, UI_STRING*) { return 0; }

UI_METHOD* no_prompt() {
    static UI_METHOD* method = [] {
        UI_METHOD* made = UI_create_method("ggl: no PIN prompt");
        if (made != nullptr) UI_method_set_reader(made, read_no_pin);
        return made;
    }();
    return method;
}

// OpenSSL keeps one pkcs11 engine per process, and libp11 one PKCS#11 module in it.
struct EngineState {
    std::mutex guard;
    ENGINE* engine = nullptr; // a functional reference, initialised with `module`
    std::string module;
    bool holds_keys = false; // keys sign through it while TLS contexts hold them
};

EngineState& engine_state() {
    static EngineState state;
    return state;
}

// The pkcs11 engine initialised with `module`, kept for the process once a key is loaded
// through it. Until then another module replaces it; after, it takes a restart.
Result<ENGINE*> engine_for(EngineState& state, const std::string& uri, const std::string& module) {
    if (state.engine != nullptr && state.module == module) return state.engine;
    if (!module.empty() && ::access(module.c_str(), R_OK) != 0) {
        return key_error(uri, "the PKCS#11 module " + module + " cannot be read");
    }
    auto shown = [](const std::string& name) { return name.empty() ? std::string("the engine's default") : name; };
    if (state.engine != nullptr && state.holds_keys) {
        return key_error(uri, "the pkcs11 engine uses the PKCS#11 module " + shown(state.module) +
                                  " for a key already; restart to use " + shown(module));
    }
    if (state.engine != nullptr) {
        ENGINE_finish(state.engine);
        state.engine = nullptr;
    }
    ENGINE* engine = ENGINE_by_id("pkcs11");
    if (engine == nullptr) {
        ERR_clear_error();
        return key_error(uri, "no PKCS#11 support: the pkcs11 engine (libengine-pkcs11-openssl) is not installed");
    }
    // libp11 prints what it fails at to stderr, the URI and its PIN with it; QUIET stops that.
    ENGINE_ctrl_cmd_string(engine, "QUIET", nullptr, 1);
    if (!module.empty() && ENGINE_ctrl_cmd_string(engine, "MODULE_PATH", module.c_str(), 0) != 1) {
        std::string first;
        take_all_openssl_errors(first);
        ENGINE_free(engine);
        return key_error(uri, "the pkcs11 engine refused the module " + module + " (" + first + ")");
    }
    if (ENGINE_init(engine) != 1) {
        std::string why = describe_load_failure(module);
        ENGINE_free(engine);
        return key_error(uri, why);
    }
    ENGINE_free(engine); // the functional reference ENGINE_init took keeps it
    state.engine = engine;
    state.module = module;
    return engine;
}

#endif

} // namespace

Result<Pkey> load_engine_key(const std::string& uri, const std::string& module) {
#ifdef OPENSSL_NO_ENGINE
    (void)module;
    return key_error(uri, "no PKCS#11 support: this OpenSSL is built without engines");
#else
    EngineState& state = engine_state();
    std::lock_guard<std::mutex> lock(state.guard);
    ERR_clear_error();
    auto engine = engine_for(state, uri, module);
    if (!engine) return std::move(engine).error();
    Pkey key(ENGINE_load_private_key(*engine, uri.c_str(), no_prompt(), nullptr));
    if (!key) {
        return key_error(uri, describe_load_failure(module));
    }
    state.holds_keys = true;
    ERR_clear_error();
    return key;
#endif
}

} // namespace detail

} // namespace ggl::tls
