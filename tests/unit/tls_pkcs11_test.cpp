// lib/tls against a real PKCS#11 token: a SoftHSM token made in a temporary directory, EC
// keys imported into it, the TLS client context built with system/privateKeyPath as a
// pkcs11: URI (through libp11's pkcs11 engine), and its refusals in words without the PIN.
// Run by with_softhsm.sh, which reports it skipped when softhsm2 or the engine is missing
// and names the module in GGL_TEST_SOFTHSM_MODULE.
#include "ggl/tls_client.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace ggl;
using namespace ggl::tls;

namespace {

constexpr const char* kPin = "80461357";
constexpr const char* kToken = "ggl-unit";

// The token, its keys and the device certificate, made once: the module reads
// SOFTHSM2_CONF when the engine first loads it, for the rest of the process.
struct Token {
    test::TempDir dir;
    std::string module;

    int run(const std::string& command) const {
        return std::system(("cd " + dir.path.string() + " && " + command + " >>setup.log 2>&1").c_str());
    }

    Token() {
        const char* named = std::getenv("GGL_TEST_SOFTHSM_MODULE");
        REQUIRE(named != nullptr);
        module = named;
        std::ofstream(dir.path / "softhsm2.conf") << "directories.tokendir = " << (dir.path / "tokens").string()
                                                  << "\nobjectstore.backend = file\nlog.level = ERROR\n";
        REQUIRE(::mkdir((dir.path / "tokens").c_str(), 0700) == 0);
        REQUIRE(::setenv("SOFTHSM2_CONF", (dir.path / "softhsm2.conf").c_str(), 1) == 0);
        std::string pin = kPin;
        REQUIRE(run("softhsm2-util --init-token --free --label " + std::string(kToken) + " --pin " + pin +
                    " --so-pin 11223344") == 0);
        for (const char* name : {"device", "other"}) {
            std::string key = name;
            REQUIRE(run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + key + ".key") == 0);
            REQUIRE(run("openssl pkcs8 -topk8 -nocrypt -in " + key + ".key -out " + key + ".p8") == 0);
            std::string id = key == "device" ? "01" : "02";
            REQUIRE(run("softhsm2-util --import " + key + ".p8 --token " + std::string(kToken) + " --label " + key +
                        " --id " + id + " --pin " + pin) == 0);
        }
        REQUIRE(run("openssl req -x509 -key device.key -out device.pem -days 2 -subj /CN=thing") == 0);
    }

    Identity identity(const std::string& object, const std::string& pin) const {
        Identity identity;
        identity.certificate_path = (dir.path / "device.pem").string();
        identity.root_ca_path = identity.certificate_path;
        identity.private_key = "pkcs11:token=" + std::string(kToken) + ";object=" + object + ";type=private" +
                               (pin.empty() ? "" : "?pin-value=" + pin);
        identity.pkcs11_module = module;
        return identity;
    }
};

Token& token() {
    static Token made;
    return made;
}

const Endpoint kEndpoint{"localhost", 8883, ""};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// What the process writes to stderr while `step` runs.
template <typename Step>
std::string stderr_of(const Step& step) {
    std::string path = (token().dir.path / "stderr.txt").string();
    int saved = ::dup(2);
    int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(file >= 0);
    ::dup2(file, 2);
    ::close(file);
    step();
    ::dup2(saved, 2);
    ::close(saved);
    std::stringstream text;
    text << std::ifstream(path).rdbuf();
    return text.str();
}

// Runs this binary's hidden test case `tag` in a new process, its output in `output`; its exit status.
int run_alone(const std::string& tag, std::string& output) {
    std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    std::string path = (token().dir.path / "alone.txt").string();
    int status = std::system(("'" + self + "' '" + tag + "' --warn NoTests >'" + path + "' 2>&1").c_str());
    std::stringstream text;
    text << std::ifstream(path).rdbuf();
    output = text.str();
    return status;
}

} // namespace

// Before any good login: libp11 keeps a session logged in for the engine's life.
TEST_CASE("a wrong PIN is refused in words, and neither the message nor stderr holds it") {
    Identity wrong = token().identity("device", "999999");
    Result<SslCtx> context = make_error(ErrorCode::Failure, "not run");
    std::string printed = stderr_of([&] { context = client_context(wrong, kEndpoint); });
    REQUIRE_FALSE(context.ok());
    CHECK(context.error().code == ErrorCode::Config);
    const std::string& message = context.error().message;
    INFO(message);
    CHECK(has(message, "system/privateKeyPath pkcs11:token=ggl-unit;object=device;type=private?pin-value=***: "));
    CHECK(has(message, "the token refused the PIN"));
    CHECK_FALSE(has(message, "999999"));
    CHECK_FALSE(has(printed, "999999"));
}

TEST_CASE("a URI without a PIN is refused without a prompt") {
    auto context = client_context(token().identity("device", ""), kEndpoint);
    REQUIRE_FALSE(context.ok());
    INFO(context.error().message);
    CHECK(has(context.error().message, "the token needs a PIN"));
}

TEST_CASE("a pkcs11: key on a SoftHSM token makes the TLS context, its module named or from GGL_PKCS11_MODULE") {
    auto context = client_context(token().identity("device", kPin), kEndpoint);
    INFO((context.ok() ? std::string() : context.error().message));
    REQUIRE(context.ok());
    // The certificate's key is the token's: SSL_CTX_check_private_key passed.
    CHECK(SSL_CTX_check_private_key(context->get()) == 1);

    Identity from_environment = token().identity("device", kPin);
    from_environment.pkcs11_module.clear();
    REQUIRE(::setenv("GGL_PKCS11_MODULE", token().module.c_str(), 1) == 0);
    auto through_environment = client_context(from_environment, kEndpoint);
    ::unsetenv("GGL_PKCS11_MODULE");
    INFO((through_environment.ok() ? std::string() : through_environment.error().message));
    CHECK(through_environment.ok());

    std::ofstream(token().dir.path / "pin.txt") << kPin;
    Identity pin_file = token().identity("device", "");
    pin_file.private_key += "?pin-source=file:" + (token().dir.path / "pin.txt").string();
    auto through_pin_file = client_context(pin_file, kEndpoint);
    INFO((through_pin_file.ok() ? std::string() : through_pin_file.error().message));
    CHECK(through_pin_file.ok());
}

TEST_CASE("a missing object, a key that does not match, an unreadable module: CONFIG errors naming the URI") {
    auto missing = client_context(token().identity("nothing", kPin), kEndpoint);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ErrorCode::Config);
    INFO(missing.error().message);
    CHECK(has(missing.error().message,
              "system/privateKeyPath pkcs11:token=ggl-unit;object=nothing;type=private?pin-value=***: "));
    CHECK(has(missing.error().message, "the token has no such key"));
    CHECK_FALSE(has(missing.error().message, kPin));

    auto other = client_context(token().identity("other", kPin), kEndpoint);
    REQUIRE_FALSE(other.ok());
    CHECK(other.error().code == ErrorCode::Config);
    CHECK(
        has(other.error().message, "object=other;type=private?pin-value=***: the key does not match the certificate"));
    CHECK_FALSE(has(other.error().message, kPin));

    Identity no_module = token().identity("device", kPin);
    no_module.pkcs11_module = (token().dir.path / "missing.so").string();
    auto unreadable = client_context(no_module, kEndpoint);
    REQUIRE_FALSE(unreadable.ok());
    CHECK(has(unreadable.error().message, "the PKCS#11 module " + no_module.pkcs11_module + " cannot be read"));
}

// In a process of its own (run_alone): before anything loaded the engine.
TEST_CASE("a module that is not a PKCS#11 module is named", "[.alone-not-a-module]") {
    Identity not_a_module = token().identity("device", kPin);
    not_a_module.pkcs11_module = (token().dir.path / "softhsm2.conf").string();
    auto not_loaded = client_context(not_a_module, kEndpoint);
    REQUIRE_FALSE(not_loaded.ok());
    CHECK(not_loaded.error().code == ErrorCode::Config);
    CHECK(has(not_loaded.error().message, "cannot load the PKCS#11 module " + not_a_module.pkcs11_module));
    // Nothing held the engine: a module that loads replaces it.
    CHECK(client_context(token().identity("device", kPin), kEndpoint).ok());
}

// In a process of its own (run_alone): OpenSSL looks for the engine once.
TEST_CASE("without the pkcs11 engine, a pkcs11: key is refused as no PKCS#11 support", "[.alone-no-engine]") {
    test::TempDir empty;
    REQUIRE(::setenv("OPENSSL_ENGINES", empty.path.c_str(), 1) == 0);
    auto context = client_context(token().identity("device", kPin), kEndpoint);
    REQUIRE_FALSE(context.ok());
    CHECK(context.error().code == ErrorCode::Config);
    CHECK(context.error().message ==
          "system/privateKeyPath pkcs11:token=ggl-unit;object=device;type=private?pin-value=***: no PKCS#11 support: "
          "the pkcs11 engine (libengine-pkcs11-openssl) is not installed");
}

TEST_CASE("no engine, a module that does not load, in processes of their own") {
    for (const char* tag : {"[.alone-no-engine]", "[.alone-not-a-module]"}) {
        std::string output;
        INFO(tag);
        CHECK(run_alone(tag, output) == 0);
        INFO(output);
    }
}

TEST_CASE("once a key is loaded through a module, another module takes a restart") {
    REQUIRE(client_context(token().identity("device", kPin), kEndpoint).ok());
    std::string module = (token().dir.path / "libsofthsm2-again.so").string();
    ::unlink(module.c_str());
    REQUIRE(::symlink(token().module.c_str(), module.c_str()) == 0);
    Identity other_module = token().identity("device", kPin);
    other_module.pkcs11_module = module;
    auto refused = client_context(other_module, kEndpoint);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message ==
          "system/privateKeyPath pkcs11:token=ggl-unit;object=device;type=private?pin-value=***: the pkcs11 engine "
          "uses the PKCS#11 module " +
              token().module + " for a key already; restart to use " + module);
}

TEST_CASE("a pkcs11: URI's PIN is hidden wherever it is shown; files are shown as they are") {
    CHECK(redact_pin("pkcs11:token=t;object=k?pin-value=1234") == "pkcs11:token=t;object=k?pin-value=***");
    CHECK(redact_pin("PKCS11:object=k?pin-value=12&module-path=/m.so") ==
          "PKCS11:object=k?pin-value=***&module-path=/m.so");
    CHECK(redact_pin("pkcs11:object=k?pin-source=file:/p") == "pkcs11:object=k?pin-source=file:/p");
    CHECK(redact_pin("/keys/pin-value=1") == "/keys/pin-value=1");
    CHECK(is_pkcs11_uri("pkcs11:object=k"));
    CHECK(is_pkcs11_uri("PKCS11:object=k"));
    CHECK_FALSE(is_pkcs11_uri("/etc/pkcs11:key"));
    CHECK_FALSE(is_pkcs11_uri("pkcs11"));
}
