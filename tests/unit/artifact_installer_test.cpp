// The artifact-installer seam: its request and answer codecs, ggdeploymentd's runner
// against the real program, and how the runner reports a program that misbehaves.
#include "artifact_installer.hpp"

#include "ggl/msgpack.hpp"

#include "store_test_support.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

using namespace ggl;
using namespace ggl::store;
using ggl::test::kHelloWorldDigest;
using ggl::test::TempDir;
namespace fs = std::filesystem;

namespace {

ArtifactInstallRequest sample_request(const fs::path& root, const fs::path& source) {
    Artifact hello;
    hello.uri = "s3://bucket/hello.txt";
    hello.digest = kHelloWorldDigest;
    hello.algorithm = "SHA-256";
    hello.read_permission = "ALL";
    hello.execute_permission = "OWNER";
    ArtifactInstallRequest request;
    request.layout.root = root;
    request.component = ComponentArtifacts{"com.example.A", SemVer::parse("1.2.3-rc.1").value(), {hello}};
    request.source_dir = source;
    request.zip_limits = ZipLimits{1000, 10, 7};
    return request;
}

// A program that is not the installer: a shell script with `body`.
fs::path fake_program(const fs::path& dir, const std::string& name, const std::string& body) {
    fs::path path = dir / name;
    test::write_text(path, "#!/bin/sh\n" + body + "\n");
    ::chmod(path.c_str(), 0755);
    return path;
}

} // namespace

TEST_CASE("an artifact install request survives msgpack both ways") {
    ArtifactInstallRequest request = sample_request("/var/lib/greengrass", "/tmp/a/com.example.A/1.2.3-rc.1");
    request.run_with = "ggc_user:ggc_group";
    auto decoded = msgpack_decode(msgpack_encode(to_object(request)));
    REQUIRE(decoded.ok());
    auto back = artifact_install_request_from(*decoded);
    INFO((back ? "" : back.error().to_string()));
    REQUIRE(back.ok());
    CHECK(back->layout.root == request.layout.root);
    CHECK(back->component.name == "com.example.A");
    CHECK(back->component.version.to_string() == "1.2.3-rc.1");
    CHECK(back->source_dir == request.source_dir);
    REQUIRE(back->component.artifacts.size() == 1);
    const Artifact& artifact = back->component.artifacts.front();
    CHECK(artifact.uri == "s3://bucket/hello.txt");
    CHECK(artifact.digest == kHelloWorldDigest);
    CHECK(artifact.algorithm == "SHA-256");
    CHECK(artifact.unarchive == "NONE");
    CHECK(artifact.read_permission == "ALL");
    CHECK(artifact.execute_permission == "OWNER");
    CHECK(back->zip_limits.max_total_bytes == 1000);
    CHECK(back->zip_limits.max_entries == 10);
    CHECK(back->zip_limits.max_ratio == 7);
    CHECK(back->run_with == "ggc_user:ggc_group");

    SECTION("no runWith stays none") {
        request.run_with.clear();
        Object map = to_object(request);
        CHECK_FALSE(map.as_map().contains("run_with"));
        auto again = artifact_install_request_from(map);
        REQUIRE(again.ok());
        CHECK(again->run_with.empty());
    }
}

TEST_CASE("runWith names the files' owner: the user, and the named group or the user's own") {
    struct passwd* nobody = ::getpwnam("nobody");
    struct group* root_group = ::getgrnam("root");
    REQUIRE(nobody != nullptr);
    REQUIRE(root_group != nullptr);
    auto user_only = file_owner_of("nobody");
    REQUIRE(user_only.ok());
    CHECK(user_only->uid == nobody->pw_uid);
    CHECK(user_only->gid == nobody->pw_gid);
    auto with_group = file_owner_of("nobody:root");
    REQUIRE(with_group.ok());
    CHECK(with_group->uid == nobody->pw_uid);
    CHECK(with_group->gid == root_group->gr_gid);

    auto no_user = file_owner_of("ggl-no-such-user-7f3a");
    REQUIRE_FALSE(no_user.ok());
    CHECK(no_user.error().code == ErrorCode::Config);
    CHECK(no_user.error().message.find("posixUser 'ggl-no-such-user-7f3a' does not exist") != std::string::npos);
    auto no_group = file_owner_of("nobody:ggl-no-such-group-7f3a");
    REQUIRE_FALSE(no_group.ok());
    CHECK(no_group.error().message.find("group 'ggl-no-such-group-7f3a' does not exist") != std::string::npos);
    CHECK_FALSE(file_owner_of("").ok());
    CHECK_FALSE(file_owner_of("nobody:").ok());
}

TEST_CASE("a malformed request is refused, naming the field") {
    Object good = to_object(sample_request("/r", "/s"));
    auto with = [&](const std::string& key, Object value) {
        Object changed = good;
        changed.as_map().set(key, std::move(value));
        return artifact_install_request_from(changed);
    };
    auto without = [&](const std::string& key) {
        Object changed = good;
        changed.as_map().erase(key);
        return artifact_install_request_from(changed);
    };
    for (const char* key : {"root", "component", "version", "source_dir", "artifacts", "zip_limits"}) {
        auto missing = without(key);
        INFO(key);
        REQUIRE_FALSE(missing.ok());
        CHECK(missing.error().code == ErrorCode::Invalid);
        CHECK(missing.error().message.find(std::string("\"") + key + "\"") != std::string::npos);
    }
    CHECK(with("version", "one").error().message.find("semantic version") != std::string::npos);
    CHECK(with("artifacts", List{Object("s3://x")}).error().message.find("\"artifacts\"") != std::string::npos);
    CHECK(with("artifacts", List{Object(Map{{"uri", "s3://x"}})}).error().message.find("\"digest\"") !=
          std::string::npos);
    CHECK(with("zip_limits", Map{{"max_total_bytes", -1}, {"max_entries", 1}, {"max_ratio", 1}})
              .error()
              .message.find("\"max_total_bytes\"") != std::string::npos);
    CHECK(with("run_with", int64_t{1000}).error().message.find("\"run_with\"") != std::string::npos);
    CHECK_FALSE(artifact_install_request_from(Object("a string")).ok());
}

TEST_CASE("an answer carries success or the install's own error") {
    CHECK(artifact_install_outcome_from(to_object(Result<void>())).ok());
    auto failed = artifact_install_outcome_from(
        to_object(Result<void>(make_error(ErrorCode::Noentry, "artifact s3://b/a is missing"))));
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().code == ErrorCode::Noentry);
    CHECK(failed.error().message == "artifact s3://b/a is missing");
    for (const Object& malformed : {Object(3), Object(Map{{"surprise", 1}}),
                                    Object(Map{{"error", Map{{"code", "NO_SUCH_CODE"}, {"message", "x"}}}}),
                                    Object(Map{{"error", Map{{"code", "INVALID"}}}})}) {
        auto outcome = artifact_install_outcome_from(malformed);
        REQUIRE_FALSE(outcome.ok());
        CHECK(outcome.error().code == ErrorCode::Failure);
    }
}

TEST_CASE("ggdeploymentd's runner installs through the real artifact-installer") {
    TempDir dir;
    fs::path source = dir.path / "artifacts/com.example.A/1.2.3-rc.1";
    test::write_text(source / "hello.txt", "hello world");
    ArtifactInstallRequest request = sample_request(dir.path / "root", source);

    auto installed = deployment::run_artifact_installer(GGL_ARTIFACT_INSTALLER, request);
    INFO((installed ? "" : installed.error().to_string()));
    REQUIRE(installed.ok());
    fs::path stored = request.layout.artifacts_dir("com.example.A", "1.2.3-rc.1") / "hello.txt";
    CHECK(test::read_text(stored) == "hello world");
    CHECK(test::mode_of(stored) == 0544);

    SECTION("the install's own error comes back as it was, and the store is left as it was") {
        test::write_text(source / "hello.txt", "hello world, changed");
        request.component.version = SemVer::parse("2.0.0").value();
        fs::rename(dir.path / "artifacts/com.example.A/1.2.3-rc.1", dir.path / "artifacts/com.example.A/2.0.0");
        request.source_dir = dir.path / "artifacts/com.example.A/2.0.0";
        auto mismatch = deployment::run_artifact_installer(GGL_ARTIFACT_INSTALLER, request);
        REQUIRE_FALSE(mismatch.ok());
        CHECK(mismatch.error().code == ErrorCode::Invalid);
        CHECK(mismatch.error().message.find("digest mismatch") != std::string::npos);
        CHECK_FALSE(fs::exists(request.layout.artifacts_dir("com.example.A", "2.0.0")));
    }
}

TEST_CASE("a program that does not answer is a failure that says how it ended") {
    TempDir dir;
    ArtifactInstallRequest request = sample_request(dir.path / "root", dir.path / "source");
    auto failure_of = [&](const fs::path& program) {
        auto outcome = deployment::run_artifact_installer(program.string(), request);
        REQUIRE_FALSE(outcome.ok());
        CHECK(outcome.error().code == ErrorCode::Failure);
        CHECK(outcome.error().message.find(program.string()) == 0);
        return outcome.error().message;
    };
    CHECK(failure_of(dir.path / "absent").find("cannot run it") != std::string::npos);
    CHECK(failure_of(fake_program(dir.path, "killed", "kill -KILL $$")).find("killed by signal 9") !=
          std::string::npos);
    CHECK(failure_of(fake_program(dir.path, "exits", "cat > /dev/null; exit 3"))
              .find("exited with status 3 before it answered") != std::string::npos);
    CHECK(failure_of(fake_program(dir.path, "silent", "exit 0")).find("exited without an answer") != std::string::npos);
    CHECK(failure_of(fake_program(dir.path, "garbage", "printf '\\301'")).find("not msgpack") != std::string::npos);
    CHECK(failure_of(fake_program(dir.path, "chatty", "head -c 2000000 /dev/zero")).find("more than 1 MiB") !=
          std::string::npos);
}
