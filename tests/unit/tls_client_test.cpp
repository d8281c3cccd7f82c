// Unit tests of lib/tls: the client context's checks of the device identity (files made
// with the openssl CLI), and connection failures in words.
#include "ggl/tls_client.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

using namespace ggl;
using namespace ggl::tls;
namespace fs = std::filesystem;

TEST_CASE("the TLS context refuses an expired certificate, a key that does not match, unreadable files") {
    fs::path dir = fs::temp_directory_path() / ("ggl-iotcored-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto openssl = [&](const std::string& args) {
        return std::system(("cd " + dir.string() + " && openssl " + args + " >/dev/null 2>&1").c_str());
    };
    REQUIRE(openssl("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem "
                    "-days 2 -subj /CN=ca") == 0);
    REQUIRE(openssl("req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout d.key -out d.csr "
                    "-subj /CN=thing") == 0);
    REQUIRE(openssl("x509 -req -in d.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out d.pem") == 0);
    REQUIRE(openssl("x509 -req -in d.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days -1 -out old.pem") == 0);
    REQUIRE(openssl("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key") == 0);
    Identity settings;
    settings.root_ca_path = (dir / "ca.pem").string();
    settings.certificate_path = (dir / "d.pem").string();
    settings.private_key = (dir / "d.key").string();
    Endpoint endpoint{"localhost", 8883, ""};
    CHECK(client_context(settings, endpoint).ok());
    CHECK(client_context(settings, Endpoint{"127.0.0.1", 443, "x-amzn-mqtt-ca"}).ok());

    Identity expired = settings;
    expired.certificate_path = (dir / "old.pem").string();
    auto old = client_context(expired, endpoint);
    REQUIRE_FALSE(old.ok());
    CHECK(old.error().code == ErrorCode::Config);
    CHECK(old.error().message.find("the certificate expired on") != std::string::npos);

    Identity mismatched = settings;
    mismatched.private_key = (dir / "other.key").string();
    auto mismatch = client_context(mismatched, endpoint);
    REQUIRE_FALSE(mismatch.ok());
    CHECK(mismatch.error().message.find("does not match the certificate") != std::string::npos);

    Identity no_ca = settings;
    no_ca.root_ca_path = (dir / "missing.pem").string();
    auto ca = client_context(no_ca, endpoint);
    REQUIRE_FALSE(ca.ok());
    CHECK(ca.error().message.find("system/rootCaPath") != std::string::npos);

    Identity no_key = settings;
    no_key.private_key = (dir / "missing.key").string();
    auto key = client_context(no_key, endpoint);
    REQUIRE_FALSE(key.ok());
    CHECK(key.error().message.find("system/privateKeyPath") != std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("a connection failure is told in words a user can act on") {
    Identity settings;
    settings.certificate_path = "/d.pem";
    settings.root_ca_path = "/ca.pem";
    Endpoint endpoint{"e.example", 8883, ""};
    CHECK(describe_connect_failure("OpenSSL Error[0]: error:0A000418:SSL routines::tlsv1 alert unknown ca", "",
                                   settings, endpoint)
              .find("refused the device certificate /d.pem") != std::string::npos);
    CHECK(
        describe_connect_failure("error:0A000415:SSL routines::sslv3 alert certificate expired", "", settings, endpoint)
            .find("it has expired") != std::string::npos);
    CHECK(describe_connect_failure("error:0A000086:SSL routines::certificate verify failed",
                                   "unable to get local issuer certificate", settings, endpoint)
              .find("did not prove itself with a certificate from system/rootCaPath /ca.pem") != std::string::npos);
    CHECK(describe_connect_failure("Lookup error", "", settings, endpoint).find("does not resolve") !=
          std::string::npos);
    CHECK(describe_connect_failure("Connection refused", "", settings, endpoint).find("e.example:8883") !=
          std::string::npos);
}
