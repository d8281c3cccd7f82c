// Unit tests of the component store and of artifact installation into it: layout, names,
// digests, modes, installs that undo themselves, removal.
#include "ggl/artifact_install.hpp"
#include "ggl/component_store.hpp"

#include "ggl/interpolation.hpp"

#include "store_test_support.hpp"

#include <cstdlib>

using namespace ggl;
using namespace ggl::store;
using ggl::test::kHelloWorldDigest;
using ggl::test::TempDir;
namespace fs = std::filesystem;

namespace {

Artifact artifact(std::string uri, std::string digest = "", std::string read = "OWNER", std::string execute = "NONE") {
    Artifact a;
    a.uri = std::move(uri);
    a.digest = std::move(digest);
    a.algorithm = a.digest.empty() ? "" : "SHA-256";
    a.read_permission = std::move(read);
    a.execute_permission = std::move(execute);
    return a;
}

Recipe recipe(const std::string& name, const std::string& version) {
    Recipe r;
    r.name = name;
    r.version = SemVer::parse(version).value();
    return r;
}

// A manifest's artifacts.
std::vector<Artifact> manifest(std::vector<Artifact> artifacts) { return artifacts; }

// install_artifacts for recipe r's version.
Result<void> install(const StoreLayout& layout, const Recipe& r, const std::vector<Artifact>& artifacts,
                     const fs::path& source, const InstallOptions& options = {}) {
    return install_artifacts(layout, ComponentArtifacts{r.name, r.version, artifacts}, source, options);
}

// Every path below `root`, relative, for before/after comparisons.
std::vector<std::string> tree(const fs::path& root) {
    std::vector<std::string> paths;
    if (!fs::exists(root)) return paths;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        paths.push_back(fs::relative(entry.path(), root).string());
    }
    std::sort(paths.begin(), paths.end());
    return paths;
}

} // namespace

TEST_CASE("the layout matches what {artifacts:path} and {artifacts:decompressedPath} resolve to") {
    StoreLayout layout{"/var/lib/greengrass"};
    CHECK(layout.recipes_dir() == "/var/lib/greengrass/packages/recipes");
    CHECK(layout.recipe_file("com.example.A", "1.0.0", "yaml") ==
          "/var/lib/greengrass/packages/recipes/com.example.A-1.0.0.yaml");
    CHECK(layout.recipe_file("com.example.A", "1.0.0", ".json") ==
          "/var/lib/greengrass/packages/recipes/com.example.A-1.0.0.json");
    CHECK(layout.work_dir("com.example.A") == "/var/lib/greengrass/work/com.example.A");

    InterpolationContext context;
    context.root_path = "/var/lib/greengrass";
    context.component.name = "com.example.A";
    context.component.version = "1.0.0";
    auto path =
        interpolate("{artifacts:path}|{artifacts:decompressedPath}|{work:path}", context, InterpolationTarget::Raw);
    REQUIRE(path.ok());
    CHECK(*path == layout.artifacts_dir("com.example.A", "1.0.0").string() + "|" +
                       layout.unarchived_dir("com.example.A", "1.0.0").string() + "|" +
                       layout.work_dir("com.example.A").string());
}

TEST_CASE("the layout reads GGL_ROOT") {
    ::setenv("GGL_ROOT", "/tmp/ggl-root-test/", 1);
    CHECK(StoreLayout::from_environment().root == "/tmp/ggl-root-test");
    ::unsetenv("GGL_ROOT");
    CHECK(StoreLayout::from_environment().root == "/var/lib/greengrass");
}

TEST_CASE("safe path segments") {
    CHECK(is_safe_path_segment("a.zip"));
    CHECK(is_safe_path_segment("1.0.0-rc.1+build"));
    CHECK(is_safe_path_segment(std::string(255, 'a')));
    CHECK_FALSE(is_safe_path_segment(std::string(256, 'a')));
    CHECK_FALSE(is_safe_path_segment(""));
    CHECK_FALSE(is_safe_path_segment("."));
    CHECK_FALSE(is_safe_path_segment(".."));
    CHECK_FALSE(is_safe_path_segment("a/b"));
    CHECK_FALSE(is_safe_path_segment(std::string("a\0b", 3)));
    CHECK_FALSE(is_safe_path_segment("a\nb"));
    CHECK_FALSE(is_safe_path_segment("a\x7f"));
}

TEST_CASE("artifact file names are the last segment of the URI") {
    auto name = [](const std::string& uri) { return artifact_file_name(artifact(uri)); };
    CHECK(name("s3://bucket/a/b.zip").value() == "b.zip");
    CHECK(name("greengrass:b.zip").value() == "b.zip");
    CHECK(name("greengrass:dir/hello.py").value() == "hello.py");
    CHECK(name("https://example.com/x/y.bin?X-Amz-Signature=abc#frag").value() == "y.bin");

    auto docker = name("docker:account.dkr.ecr.region.amazonaws.com/repository:latest");
    REQUIRE_FALSE(docker.ok());
    CHECK(docker.error().code == ErrorCode::Unsupported);
    CHECK_THAT(docker.error().message, Catch::Contains("docker artifacts are not supported"));

    for (const char* bad : {"s3://bucket/dir/", "s3://bucket/..", "greengrass:", "", "s3://b/a\nb"}) {
        auto result = name(bad);
        INFO(bad);
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code == ErrorCode::Invalid);
        CHECK_THAT(result.error().message, Catch::Contains(std::string("\"") + bad + "\""));
    }
}

TEST_CASE("digests are the base64 SHA-256 Greengrass writes") {
    TempDir dir;
    fs::path file = dir.path / "hello.txt";
    test::write_text(file, "hello world");
    CHECK(sha256_base64(file).value() == kHelloWorldDigest);

    CHECK(verify_digest(file, artifact("s3://b/hello.txt", kHelloWorldDigest)).ok());
    CHECK(verify_digest(file, artifact("s3://b/hello.txt")).ok()); // no digest: nothing to check
    Artifact unpadded = artifact("s3://b/hello.txt", std::string(kHelloWorldDigest).substr(0, 43));
    CHECK(verify_digest(file, unpadded).ok());
    Artifact lower = artifact("s3://b/hello.txt", kHelloWorldDigest);
    lower.algorithm = "sha-256";
    CHECK(verify_digest(file, lower).ok());
    Artifact absent_algorithm = artifact("s3://b/hello.txt", kHelloWorldDigest);
    absent_algorithm.algorithm = "";
    CHECK(verify_digest(file, absent_algorithm).ok());

    const std::string wrong = "LIsI2lzmA5jh8Zrw5dzMdE3ydLgmq+WF6rpoxSVDSAY=";
    auto mismatch = verify_digest(file, artifact("s3://b/hello.txt", wrong));
    REQUIRE_FALSE(mismatch.ok());
    CHECK(mismatch.error().code == ErrorCode::Invalid);
    CHECK_THAT(mismatch.error().message, Catch::Contains(file.string()));
    CHECK_THAT(mismatch.error().message, Catch::Contains(wrong));
    CHECK_THAT(mismatch.error().message, Catch::Contains(kHelloWorldDigest));

    Artifact sha1 = artifact("s3://b/hello.txt", kHelloWorldDigest);
    sha1.algorithm = "SHA-1";
    auto unsupported = verify_digest(file, sha1);
    REQUIRE_FALSE(unsupported.ok());
    CHECK(unsupported.error().code == ErrorCode::Unsupported);
    CHECK_THAT(unsupported.error().message, Catch::Contains("SHA-1"));
}

TEST_CASE("artifact modes follow Read and Execute") {
    auto mode = [](const char* read, const char* execute) {
        return artifact_mode(artifact("s3://b/f", "", read, execute)).value();
    };
    CHECK(mode("NONE", "NONE") == 0400);
    CHECK(mode("OWNER", "NONE") == 0400);
    CHECK(mode("ALL", "NONE") == 0444);
    CHECK(mode("OWNER", "OWNER") == 0500);
    CHECK(mode("ALL", "OWNER") == 0544);
    CHECK(mode("NONE", "ALL") == 0555);
    CHECK(mode("ALL", "ALL") == 0555);
    auto bad = artifact_mode(artifact("s3://b/f", "", "GROUP", "NONE"));
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == ErrorCode::Invalid);
    CHECK_THAT(bad.error().message, Catch::Contains("Permission.Read \"GROUP\""));
}

TEST_CASE("a recipe is installed under its name and version, keeping its syntax") {
    TempDir dir;
    StoreLayout layout{dir.path / "root"};
    Recipe r = recipe("com.example.A", "1.2.3");
    test::write_text(dir.path / "src/a.yaml", "ComponentName: com.example.A\n");
    REQUIRE(install_recipe(layout, dir.path / "src/a.yaml", r).ok());
    fs::path yaml = layout.recipe_file("com.example.A", "1.2.3", "yaml");
    CHECK(test::read_text(yaml) == "ComponentName: com.example.A\n");
    CHECK(test::mode_of(yaml) == 0644);

    test::write_text(dir.path / "src/a.json", "{\"ComponentName\": \"com.example.A\"}");
    REQUIRE(install_recipe(layout, dir.path / "src/a.json", r).ok());
    CHECK(test::read_text(layout.recipe_file("com.example.A", "1.2.3", "json")) ==
          "{\"ComponentName\": \"com.example.A\"}");
    CHECK_FALSE(fs::exists(yaml));
    CHECK(tree(layout.recipes_dir()) == std::vector<std::string>{"com.example.A-1.2.3.json"});

    auto missing = install_recipe(layout, dir.path / "src/absent.yaml", r);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ErrorCode::Noentry);
    CHECK(tree(layout.recipes_dir()) == std::vector<std::string>{"com.example.A-1.2.3.json"});

    auto unsafe = install_recipe(layout, dir.path / "src/a.yaml", recipe("../evil", "1.0.0"));
    REQUIRE_FALSE(unsafe.ok());
    CHECK(unsafe.error().code == ErrorCode::Invalid);
}

TEST_CASE("artifacts are copied, checked, given their modes and unarchived") {
    TempDir dir;
    StoreLayout layout{dir.path / "root"};
    fs::path source = dir.path / "artifacts/com.example.A/1.0.0";
    test::write_text(source / "hello.txt", "hello world");
    fs::create_directories(source);
    fs::copy_file(test::zip_fixtures() / "good.zip", source / "good.zip");
    Recipe r = recipe("com.example.A", "1.0.0");
    Artifact zip = artifact("s3://bucket/x/good.zip", "", "ALL", "NONE");
    zip.unarchive = "ZIP";
    std::vector<Artifact> m = manifest({artifact("s3://bucket/hello.txt", kHelloWorldDigest, "ALL", "OWNER"), zip});

    auto result = install(layout, r, m, source);
    INFO((result ? "" : result.error().to_string()));
    REQUIRE(result.ok());
    fs::path artifacts = layout.artifacts_dir("com.example.A", "1.0.0");
    fs::path unarchived = layout.unarchived_dir("com.example.A", "1.0.0");
    CHECK(test::read_text(artifacts / "hello.txt") == "hello world");
    CHECK(test::mode_of(artifacts / "hello.txt") == 0544);
    CHECK(test::mode_of(artifacts / "good.zip") == 0444);
    CHECK(test::read_text(unarchived / "good/hello.txt") == "hello\n");
    CHECK(test::mode_of(unarchived / "good/hello.txt") == 0444);
    CHECK(test::mode_of(unarchived / "good/bin/run.sh") == 0555); // exec in the archive, for all who read
    CHECK(test::mode_of(unarchived / "good/dir") == 0755);
    CHECK(tree(artifacts) == std::vector<std::string>{"good.zip", "hello.txt"});
    CHECK(tree(unarchived).front() == "good");
    CHECK(test::mode_of(artifacts) == 0755);

    SECTION("installing again keeps the stored copies") {
        ino_t file = test::inode_of(artifacts / "hello.txt");
        ino_t archive = test::inode_of(artifacts / "good.zip");
        ino_t folder = test::inode_of(unarchived / "good");
        auto before = tree(layout.root);
        REQUIRE(install(layout, r, m, source).ok());
        CHECK(test::inode_of(artifacts / "hello.txt") == file);
        CHECK(test::inode_of(artifacts / "good.zip") == archive);
        CHECK(test::inode_of(unarchived / "good") == folder);
        CHECK(tree(layout.root) == before);
    }
    SECTION("installing again with other permissions corrects the mode only") {
        ino_t file = test::inode_of(artifacts / "hello.txt");
        std::vector<Artifact> changed =
            manifest({artifact("s3://bucket/hello.txt", kHelloWorldDigest, "OWNER", "NONE"), zip});
        REQUIRE(install(layout, r, changed, source).ok());
        CHECK(test::inode_of(artifacts / "hello.txt") == file);
        CHECK(test::mode_of(artifacts / "hello.txt") == 0400);
        CHECK(test::mode_of(unarchived / "good/hello.txt") == 0444);

        Artifact private_zip = zip;
        private_zip.read_permission = "OWNER";
        REQUIRE(install(layout, r, manifest({private_zip}), source).ok());
        CHECK(test::mode_of(artifacts / "good.zip") == 0400);
        CHECK(test::mode_of(unarchived / "good/hello.txt") == 0400);
        CHECK(test::mode_of(unarchived / "good/bin/run.sh") == 0500);
        CHECK(tree(unarchived) == std::vector<std::string>{"good", "good/bin", "good/bin/run.sh", "good/bin/suid",
                                                           "good/dir", "good/dir/sub", "good/dir/sub/data.txt",
                                                           "good/empty", "good/hello.txt"});
    }
    SECTION("a changed archive replaces its unarchived folder") {
        fs::remove(source / "good.zip");
        fs::copy_file(test::zip_fixtures() / "zip64.zip", source / "good.zip");
        REQUIRE(install(layout, r, m, source).ok());
        CHECK(test::read_text(unarchived / "good/two.txt") == "stored in zip64\n");
        CHECK_FALSE(fs::exists(unarchived / "good/hello.txt"));
        CHECK(tree(unarchived) == std::vector<std::string>{"good", "good/big", "good/big/one.txt", "good/two.txt"});
    }
    SECTION("a failed reinstall puts the previous copies back") {
        auto before = tree(layout.root);
        fs::remove(source / "good.zip");
        fs::copy_file(test::zip_fixtures() / "zip64.zip", source / "good.zip");
        test::write_text(source / "bad.txt", "not what the digest says");
        std::vector<Artifact> failing = manifest({zip, artifact("s3://bucket/bad.txt", kHelloWorldDigest)});
        auto failed = install(layout, r, failing, source);
        REQUIRE_FALSE(failed.ok());
        CHECK(failed.error().code == ErrorCode::Invalid);
        CHECK_THAT(failed.error().message, Catch::Contains((source / "bad.txt").string()));
        CHECK(tree(layout.root) == before);
        CHECK(test::read_text(unarchived / "good/hello.txt") == "hello\n");
        CHECK(test::read_text(artifacts / "good.zip") == test::read_text(test::zip_fixtures() / "good.zip"));
    }
    SECTION("the component version is removed, its work directory kept") {
        test::write_text(dir.path / "src.yaml", "x");
        REQUIRE(install_recipe(layout, dir.path / "src.yaml", r).ok());
        fs::create_directories(layout.work_dir("com.example.A"));
        REQUIRE(remove_component_version(layout, "com.example.A", "1.0.0").ok());
        CHECK_FALSE(fs::exists(layout.recipe_file("com.example.A", "1.0.0", "yaml")));
        CHECK_FALSE(fs::exists(layout.root / "packages/artifacts/com.example.A"));
        CHECK_FALSE(fs::exists(layout.root / "packages/artifacts-unarchived/com.example.A"));
        CHECK(fs::is_directory(layout.work_dir("com.example.A")));
        CHECK(remove_component_version(layout, "com.example.A", "1.0.0").ok()); // missing is fine
        CHECK(stored_versions(layout, "com.example.A").empty());
    }
}

TEST_CASE("a failing install leaves the store as it was") {
    TempDir dir;
    StoreLayout layout{dir.path / "root"};
    fs::path source = dir.path / "src";
    test::write_text(source / "hello.txt", "hello world");
    fs::copy_file(test::zip_fixtures() / "traversal.zip", source / "evil.zip");
    fs::copy_file(test::zip_fixtures() / "good.zip", source / "good.zip");
    Recipe r = recipe("com.example.A", "1.0.0");
    Artifact good = artifact("s3://b/good.zip");
    good.unarchive = "ZIP";
    Artifact evil = artifact("s3://b/evil.zip");
    evil.unarchive = "ZIP";

    SECTION("a hostile archive after good artifacts") {
        auto result = install(layout, r, manifest({artifact("s3://b/hello.txt"), good, evil}), source);
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code == ErrorCode::Invalid);
        CHECK_THAT(result.error().message, Catch::Contains("com.example.A-1.0.0"));
        CHECK_THAT(result.error().message, Catch::Contains("entry \"../evil\""));
    }
    SECTION("a digest mismatch") {
        auto result =
            install(layout, r, manifest({artifact("s3://b/good.zip"), artifact("s3://b/hello.txt", "AAAA")}), source);
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code == ErrorCode::Invalid);
        CHECK_THAT(result.error().message, Catch::Contains("the recipe expects AAAA"));
    }
    SECTION("a missing artifact, named with the path it was expected at") {
        auto result = install(layout, r, manifest({artifact("s3://b/hello.txt"), artifact("s3://b/gone.bin")}), source);
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code == ErrorCode::Noentry);
        CHECK_THAT(result.error().message, Catch::Contains((source / "gone.bin").string()));
    }
    SECTION("a docker artifact") {
        auto result = install(layout, r, manifest({artifact("docker:repo/image:latest")}), source);
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code == ErrorCode::Unsupported);
    }
    SECTION("two artifacts with the same file name") {
        auto result =
            install(layout, r, manifest({artifact("s3://one/hello.txt"), artifact("s3://two/hello.txt")}), source);
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code == ErrorCode::Invalid);
        CHECK_THAT(result.error().message, Catch::Contains("two artifacts are stored as \"hello.txt\""));
    }
    SECTION("an unsupported digest algorithm") {
        Artifact md5 = artifact("s3://b/hello.txt", kHelloWorldDigest);
        md5.algorithm = "MD5";
        auto result = install(layout, r, manifest({md5}), source);
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code == ErrorCode::Unsupported);
    }
    CHECK_FALSE(fs::exists(layout.root / "packages"));
}

TEST_CASE("permissions of stored artifacts") {
    TempDir dir;
    StoreLayout layout{dir.path / "root"};
    fs::path source = dir.path / "src";
    for (const char* file : {"none", "owner", "all", "exec_owner", "exec_all"}) {
        test::write_text(source / file, file);
    }
    REQUIRE(install(layout, recipe("com.example.P", "1.0.0"),
                    manifest({artifact("s3://b/none", "", "NONE", "NONE"),
                              artifact("s3://b/owner", "", "OWNER", "NONE"), artifact("s3://b/all", "", "ALL", "NONE"),
                              artifact("s3://b/exec_owner", "", "OWNER", "OWNER"),
                              artifact("s3://b/exec_all", "", "OWNER", "ALL")}),
                    source)
                .ok());
    fs::path stored = layout.artifacts_dir("com.example.P", "1.0.0");
    CHECK(test::mode_of(stored / "none") == 0400);
    CHECK(test::mode_of(stored / "owner") == 0400);
    CHECK(test::mode_of(stored / "all") == 0444);
    CHECK(test::mode_of(stored / "exec_owner") == 0500);
    CHECK(test::mode_of(stored / "exec_all") == 0555);
    CHECK(test::read_text(stored / "exec_all") == "exec_all");
}

TEST_CASE("a changed artifact without digest replaces the stored copy") {
    TempDir dir;
    StoreLayout layout{dir.path / "root"};
    fs::path source = dir.path / "src";
    Recipe r = recipe("com.example.A", "1.0.0");
    test::write_text(source / "a.txt", "one\n");
    REQUIRE(install(layout, r, manifest({artifact("s3://b/a.txt")}), source).ok());
    fs::remove(source / "a.txt");
    test::write_text(source / "a.txt", "two\n");
    REQUIRE(install(layout, r, manifest({artifact("s3://b/a.txt")}), source).ok());
    CHECK(test::read_text(layout.artifacts_dir("com.example.A", "1.0.0") / "a.txt") == "two\n");
    CHECK(tree(layout.artifacts_dir("com.example.A", "1.0.0")) == std::vector<std::string>{"a.txt"});
}

TEST_CASE("stored versions come from recipe file names, ascending") {
    TempDir dir;
    StoreLayout layout{dir.path};
    for (const char* file :
         {"com.example.A-1.0.0.yaml", "com.example.A-1.10.0.json", "com.example.A-1.2.0-rc.1.yaml",
          "com.example.A-B-3.0.0.yaml", ".com.example.A-9.0.0.yaml.tmp-abc", "com.example.A-bad.yaml",
          "com.example.A-2.0.0.txt", "com.example.A-3.0.0.yaml.tmp.1234"}) {
        test::write_text(layout.recipes_dir() / file, "x");
    }
    std::vector<std::string> versions;
    for (const SemVer& v : stored_versions(layout, "com.example.A")) {
        versions.push_back(v.to_string());
    }
    CHECK(versions == std::vector<std::string>{"1.0.0", "1.2.0-rc.1", "1.10.0"});
    CHECK(stored_versions(layout, "com.example.A-B").size() == 1);
    CHECK(stored_versions(layout, "com.example.Z").empty());
    CHECK(stored_versions(StoreLayout{dir.path / "absent"}, "com.example.A").empty());

    REQUIRE(remove_component_version(layout, "com.example.A", "1.10.0").ok());
    CHECK(stored_versions(layout, "com.example.A").size() == 2);
    auto unsafe = remove_component_version(layout, "com.example.A", "..");
    REQUIRE_FALSE(unsafe.ok());
    CHECK(unsafe.error().code == ErrorCode::Invalid);
}

TEST_CASE("artifacts can be given to the component's user") {
    TempDir dir;
    StoreLayout layout{dir.path / "root"};
    fs::path source = dir.path / "src";
    test::write_text(source / "run.sh", "#!/bin/sh\n");
    fs::create_directories(source);
    fs::copy_file(test::zip_fixtures() / "zip64.zip", source / "bundle.zip");
    Artifact zip = artifact("s3://b/bundle.zip");
    zip.unarchive = "ZIP";
    std::vector<Artifact> m = manifest({artifact("s3://b/run.sh", "", "OWNER", "OWNER"), zip});
    Recipe r = recipe("com.example.O", "1.0.0");
    // Root can give files to anyone; anyone can give files to themselves.
    FileOwner owner = ::geteuid() == 0 ? FileOwner{65534, 65534} : FileOwner{::getuid(), ::getgid()};
    InstallOptions options;
    options.owner = owner;
    REQUIRE(install(layout, r, m, source, options).ok());

    fs::path artifacts = layout.artifacts_dir("com.example.O", "1.0.0");
    fs::path unarchived = layout.unarchived_dir("com.example.O", "1.0.0");
    for (const fs::path& path : {artifacts / "run.sh", artifacts / "bundle.zip", unarchived / "bundle",
                                 unarchived / "bundle/big/one.txt", unarchived / "bundle/two.txt"}) {
        struct stat info {};
        REQUIRE(::lstat(path.c_str(), &info) == 0);
        INFO(path);
        CHECK(info.st_uid == owner.uid);
        CHECK(info.st_gid == owner.gid);
    }
    CHECK(test::mode_of(artifacts / "run.sh") == 0500);
    CHECK(test::mode_of(unarchived / "bundle/two.txt") == 0500); // exec in the archive, readable by the owner
    CHECK(test::mode_of(unarchived / "bundle/big/one.txt") == 0400);

    ino_t folder = test::inode_of(unarchived / "bundle");
    REQUIRE(install(layout, r, m, source, options).ok());
    CHECK(test::inode_of(unarchived / "bundle") == folder);
}

TEST_CASE("a version's whole artifact directory is copied, listed or not (as the Greengrass CLI)") {
    TempDir dir;
    StoreLayout layout{dir.path / "root"};
    fs::path source = dir.path / "artifacts/com.example.HelloWorld/1.0.0";
    test::write_text(source / "hello_world.sh", "#!/bin/sh\necho hello\n");
    fs::permissions(source / "hello_world.sh", fs::perms(0755));
    test::write_text(source / "lib/util.sh", "util\n");
    fs::permissions(source / "lib/util.sh", fs::perms(0640));
    test::write_text(source / "lib/deeper/data.txt", "data\n");
    fs::permissions(source / "lib/deeper/data.txt", fs::perms(04755)); // setuid is dropped
    fs::create_directories(source / "empty");
    test::write_text(source / "listed.txt", "hello world");
    Recipe r = recipe("com.example.HelloWorld", "1.0.0");
    fs::path artifacts = layout.artifacts_dir("com.example.HelloWorld", "1.0.0");

    SECTION("a recipe without Artifacts: every file, {artifacts:path} finds them") {
        auto scanned = scan_artifact_directory(source, manifest({}));
        REQUIRE(scanned.ok());
        std::vector<std::string> scanned_paths;
        for (const DirectoryEntry& entry : *scanned) {
            scanned_paths.push_back(entry.relative.string() + (entry.directory ? "/" : ""));
        }
        CHECK(scanned_paths == std::vector<std::string>{"empty/", "hello_world.sh", "lib/", "lib/deeper/",
                                                        "lib/deeper/data.txt", "lib/util.sh", "listed.txt"});

        auto result = install(layout, r, manifest({}), source);
        INFO((result ? "" : result.error().to_string()));
        REQUIRE(result.ok());
        CHECK(tree(artifacts) == std::vector<std::string>{"empty", "hello_world.sh", "lib", "lib/deeper",
                                                          "lib/deeper/data.txt", "lib/util.sh", "listed.txt"});
        CHECK(test::read_text(artifacts / "hello_world.sh") == "#!/bin/sh\necho hello\n");
        CHECK(test::read_text(artifacts / "lib/deeper/data.txt") == "data\n");
        // Read and execute bits kept, owner read always, never write nor setuid.
        CHECK(test::mode_of(artifacts / "hello_world.sh") == 0555);
        CHECK(test::mode_of(artifacts / "lib/util.sh") == 0440);
        CHECK(test::mode_of(artifacts / "lib/deeper/data.txt") == 0555);
        CHECK(test::mode_of(artifacts / "listed.txt") == 0444);
        CHECK(test::mode_of(artifacts / "lib") == 0755);
        CHECK(test::mode_of(artifacts / "empty") == 0755);

        // Where a recipe's {artifacts:path}/hello_world.sh points.
        InterpolationContext context;
        context.root_path = layout.root.string();
        context.component.name = "com.example.HelloWorld";
        context.component.version = "1.0.0";
        auto script = interpolate("{artifacts:path}/hello_world.sh", context, InterpolationTarget::Raw);
        REQUIRE(script.ok());
        CHECK(*script == (artifacts / "hello_world.sh").string());
        CHECK(std::system((*script + " > /dev/null").c_str()) == 0); // executable as copied

        SECTION("installing again keeps the copies; a changed file is replaced") {
            ino_t kept = test::inode_of(artifacts / "lib/util.sh");
            fs::remove(source / "hello_world.sh");
            test::write_text(source / "hello_world.sh", "#!/bin/sh\necho changed\n");
            REQUIRE(install(layout, r, manifest({}), source).ok());
            CHECK(test::inode_of(artifacts / "lib/util.sh") == kept);
            CHECK(test::read_text(artifacts / "hello_world.sh") == "#!/bin/sh\necho changed\n");
            CHECK(test::mode_of(artifacts / "hello_world.sh") == 0444); // the new file is not executable
        }
    }
    SECTION("listed artifacts keep their digest check and Permission, the rest is copied beside them") {
        auto result = install(layout, r, manifest({artifact("s3://b/listed.txt", kHelloWorldDigest, "OWNER")}), source);
        INFO((result ? "" : result.error().to_string()));
        REQUIRE(result.ok());
        CHECK(test::mode_of(artifacts / "listed.txt") == 0400); // Read OWNER, not the source's 0644
        CHECK(test::mode_of(artifacts / "hello_world.sh") == 0555);
        CHECK(fs::exists(artifacts / "lib/deeper/data.txt"));
        auto scanned = scan_artifact_directory(source, manifest({artifact("s3://b/listed.txt")}));
        REQUIRE(scanned.ok());
        CHECK(std::none_of(scanned->begin(), scanned->end(),
                           [](const DirectoryEntry& entry) { return entry.relative == "listed.txt"; }));

        auto mismatch = install(layout, recipe("com.example.HelloWorld", "1.0.0"),
                                manifest({artifact("s3://b/listed.txt", "AAAA")}), source);
        REQUIRE_FALSE(mismatch.ok());
        CHECK_THAT(mismatch.error().message, Catch::Contains("the recipe expects AAAA"));
    }
    SECTION("a symbolic link in the tree is refused, naming it, before the store is touched") {
        fs::create_symlink("/etc/passwd", source / "lib/deeper/passwd");
        auto result = install(layout, r, manifest({}), source);
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code == ErrorCode::Invalid);
        CHECK_THAT(result.error().message,
                   Catch::Contains((source / "lib/deeper/passwd").string() + " is a symbolic link"));
        CHECK_THAT(result.error().message, Catch::Contains("com.example.HelloWorld-1.0.0"));
        CHECK_FALSE(fs::exists(layout.root / "packages"));

        fs::remove(source / "lib/deeper/passwd");
        fs::create_directory_symlink(dir.path, source / "outside");
        auto directory_link = scan_artifact_directory(source, manifest({}));
        REQUIRE_FALSE(directory_link.ok());
        CHECK_THAT(directory_link.error().message, Catch::Contains((source / "outside").string()));
    }
    SECTION("a FIFO is refused") {
        REQUIRE(::mkfifo((source / "lib/pipe").c_str(), 0644) == 0);
        auto result = scan_artifact_directory(source, manifest({}));
        REQUIRE_FALSE(result.ok());
        CHECK_THAT(result.error().message,
                   Catch::Contains((source / "lib/pipe").string() + " is neither a regular file nor a directory"));
    }
    SECTION("a failure after the tree was copied undoes the copies") {
        REQUIRE(install(layout, r, manifest({}), source).ok());
        auto before = tree(layout.root);
        ino_t util = test::inode_of(artifacts / "lib/util.sh");
        test::write_text(source / "lib/new/added.txt", "added\n"); // in a new directory
        test::write_text(source / "lib/extra.txt", "extra\n"); // in one the store has
        fs::remove(source / "lib/util.sh");
        test::write_text(source / "lib/util.sh", "changed\n");
        fs::copy_file(test::zip_fixtures() / "traversal.zip", source / "evil.zip");
        Artifact evil = artifact("s3://b/evil.zip");
        evil.unarchive = "ZIP";
        auto failed = install(layout, r, manifest({evil}), source);
        REQUIRE_FALSE(failed.ok());
        CHECK(tree(layout.root) == before);
        CHECK(test::inode_of(artifacts / "lib/util.sh") == util);
        CHECK(test::read_text(artifacts / "lib/util.sh") == "util\n");
    }
    SECTION("no directory, or none given: nothing to copy") {
        REQUIRE(install(layout, r, manifest({}), dir.path / "absent").ok());
        REQUIRE(install(layout, r, manifest({}), fs::path()).ok());
        CHECK(test::is_empty_dir(artifacts));
        CHECK(scan_artifact_directory(dir.path / "absent", manifest({}))->empty());
        auto not_directory = scan_artifact_directory(source / "listed.txt", manifest({}));
        REQUIRE_FALSE(not_directory.ok());
        CHECK_THAT(not_directory.error().message, Catch::Contains("is not a directory"));
    }
}

TEST_CASE("copied files can be given to the component's user; their directories stay the installer's") {
    TempDir dir;
    StoreLayout layout{dir.path / "root"};
    fs::path source = dir.path / "src";
    test::write_text(source / "bin/run.sh", "#!/bin/sh\n");
    fs::permissions(source / "bin/run.sh", fs::perms(0700));
    FileOwner owner = ::geteuid() == 0 ? FileOwner{65534, 65534} : FileOwner{::getuid(), ::getgid()};
    InstallOptions options;
    options.owner = owner;
    REQUIRE(install(layout, recipe("com.example.O", "1.0.0"), manifest({}), source, options).ok());
    fs::path artifacts = layout.artifacts_dir("com.example.O", "1.0.0");
    struct stat info {};
    REQUIRE(::lstat((artifacts / "bin/run.sh").c_str(), &info) == 0);
    CHECK(info.st_uid == owner.uid);
    CHECK(info.st_gid == owner.gid);
    CHECK((info.st_mode & 07777) == 0500);
    REQUIRE(::lstat((artifacts / "bin").c_str(), &info) == 0);
    CHECK(info.st_uid == ::geteuid());
}
