// Unit tests of extract_zip: good archives from two writers, and every hostile or broken one refused cleanly.
#include "ggl/zip_archive.hpp"

#include "store_test_support.hpp"

using namespace ggl;
using namespace ggl::store;
using ggl::test::TempDir;
using ggl::test::zip_fixtures;
namespace fs = std::filesystem;

TEST_CASE("a zipfile archive extracts with its contents, directories and exec bits") {
    TempDir out;
    fs::path destination = out.path / "good";
    auto result = extract_zip(zip_fixtures() / "good.zip", destination);
    INFO((result ? "" : result.error().to_string()));
    REQUIRE(result.ok());
    CHECK(test::read_text(destination / "hello.txt") == "hello\n");
    std::string data = test::read_text(destination / "dir/sub/data.txt");
    CHECK(data.size() == 133890);
    CHECK(data.rfind("line 4999 of the data file\n") == data.size() - 27);
    CHECK(fs::is_directory(destination / "empty"));
    CHECK(test::read_text(destination / "bin/run.sh") == "#!/bin/sh\necho hi\n");
    CHECK(test::mode_of(destination / "hello.txt") == 0644);
    CHECK(test::mode_of(destination / "bin/run.sh") == 0755);
    // setuid and world-write from the archive are dropped, the exec bits kept.
    CHECK(test::mode_of(destination / "bin/suid") == 0755);
    CHECK(test::mode_of(destination) == 0755);
    CHECK(result->files == 4);
    CHECK(result->directories == 4); // bin, dir, dir/sub, empty
    CHECK(result->total_bytes == 6 + 133890 + 18 + 10);
    // Nothing but the destination is left beside it.
    CHECK(std::distance(fs::directory_iterator(out.path), fs::directory_iterator()) == 1);
}

TEST_CASE("a ZIP64 archive extracts") {
    TempDir out;
    auto result = extract_zip(zip_fixtures() / "zip64.zip", out.path / "z");
    INFO((result ? "" : result.error().to_string()));
    REQUIRE(result.ok());
    std::string expected;
    for (int i = 0; i < 1000; ++i) expected += "zip64 ";
    CHECK(test::read_text(out.path / "z/big/one.txt") == expected);
    CHECK(test::read_text(out.path / "z/two.txt") == "stored in zip64\n");
    CHECK(test::mode_of(out.path / "z/two.txt") == 0755);
}

TEST_CASE("an archive with data descriptors (a streaming writer's) extracts") {
    TempDir out;
    auto result = extract_zip(zip_fixtures() / "streamed.zip", out.path / "s");
    INFO((result ? "" : result.error().to_string()));
    REQUIRE(result.ok());
    std::string expected;
    for (int i = 0; i < 100; ++i) expected += "streamed ";
    CHECK(test::read_text(out.path / "s/streamed/a.txt") == expected);
    CHECK(fs::file_size(out.path / "s/empty.txt") == 0);
    CHECK(result->files == 2);
}

TEST_CASE("hostile and broken archives are refused, naming the archive and the entry, leaving nothing") {
    struct Case {
        const char* archive;
        const char* mentions; // the entry, or what is wrong when no entry is at fault
        ErrorCode code;
    };
    const Case cases[] = {
        {"traversal.zip", "entry \"../evil\"", ErrorCode::Invalid},
        {"nested_traversal.zip", "entry \"a/../../evil\"", ErrorCode::Invalid},
        {"absolute.zip", "entry \"/tmp/evil\": absolute path", ErrorCode::Invalid},
        // The reader turns the backslashes of a name without '/' from a DOS host into '/'.
        {"backslash.zip", "entry \"../evil.txt\": \"..\" in the path", ErrorCode::Invalid},
        {"backslash_mixed.zip", "entry \"dir/a\\b.txt\": backslash", ErrorCode::Invalid},
        {"dot.zip", "entry \"a/./b.txt\"", ErrorCode::Invalid},
        {"control.zip", "entry \"bad\\x0aname.txt\"", ErrorCode::Invalid},
        {"symlink.zip", "entry \"link\": symbolic links", ErrorCode::Invalid},
        {"crc.zip", "entry \"file.txt\": ZIP bad CRC", ErrorCode::Parse},
        {"truncated.zip", "no end of central directory", ErrorCode::Parse},
        {"notzip.zip", "not a ZIP archive", ErrorCode::Parse},
        {"bomb.zip", "entry \"bomb.bin\": compression ratio above 1000", ErrorCode::Range},
        {"duplicate.zip", "entry \"same.txt\": duplicate", ErrorCode::Invalid},
        {"file_and_dir.zip", "entry \"a\": a file whose name is also used as a directory", ErrorCode::Invalid},
        {"encrypted.zip", "entry \"secret.txt\": encrypted", ErrorCode::Unsupported},
        // The entry is what its local header names (libarchive's reader), checked as any name.
        {"local_name.zip", "entry \"../evil.txt\": \"..\" in the path", ErrorCode::Invalid},
        {"overlap.zip", "entry \"inner.txt\": its data overlaps another entry's (\"outer.txt\")", ErrorCode::Invalid},
        {"overlap_deflated.zip", "entry \"inner.txt\": its data overlaps another entry's (\"outer.txt\")",
         ErrorCode::Invalid},
        {"method.zip", "entry \"bzip2.txt\": compression method bzip is not supported", ErrorCode::Unsupported},
    };
    for (const Case& c : cases) {
        SECTION(c.archive) {
            TempDir out;
            fs::path archive = zip_fixtures() / c.archive;
            auto result = extract_zip(archive, out.path / "x");
            REQUIRE_FALSE(result.ok());
            INFO(result.error().to_string());
            CHECK(result.error().code == c.code);
            CHECK_THAT(result.error().message, Catch::Contains(archive.string()));
            CHECK_THAT(result.error().message, Catch::Contains(c.mentions));
            CHECK(test::is_empty_dir(out.path));
        }
    }
}

TEST_CASE("names flagged UTF-8 extract as UTF-8 whatever the locale") {
    TempDir out;
    auto result = extract_zip(zip_fixtures() / "utf8.zip", out.path / "u");
    INFO((result ? "" : result.error().to_string()));
    REQUIRE(result.ok());
    CHECK(test::read_text(out.path / "u/caf\xc3\xa9/na\xc3\xafve.txt") == "utf-8\n");
    CHECK(test::read_text(out.path / "u/plain.txt") == "ascii\n");
    CHECK(result->files == 2);
}

// libarchive's reader reads each local header once: a second central directory entry
// pointing at the same header is not extracted (nothing beyond the header's own data is).
TEST_CASE("two central directory entries for one local header extract it once") {
    TempDir out;
    auto result = extract_zip(zip_fixtures() / "shared.zip", out.path / "s");
    INFO((result ? "" : result.error().to_string()));
    REQUIRE(result.ok());
    CHECK(result->files == 1);
    CHECK(test::read_text(out.path / "s/a.txt").size() == 350);
    CHECK_FALSE(fs::exists(out.path / "s/b.txt"));
}

TEST_CASE("a failure after some files were written removes them and the parents it made") {
    TempDir out;
    fs::path destination = out.path / "new/parent/x";
    auto result = extract_zip(zip_fixtures() / "crc.zip", destination);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::Parse);
    CHECK_FALSE(fs::exists(out.path / "new"));
    CHECK(test::is_empty_dir(out.path));
}

TEST_CASE("limits on total size and entry count are enforced before anything is written") {
    TempDir out;
    ZipLimits small;
    small.max_total_bytes = 1000;
    auto too_big = extract_zip(zip_fixtures() / "good.zip", out.path / "x", small);
    REQUIRE_FALSE(too_big.ok());
    CHECK(too_big.error().code == ErrorCode::Range);
    CHECK_THAT(too_big.error().message, Catch::Contains("entry \"dir/sub/data.txt\": the archive expands to more"));

    ZipLimits few;
    few.max_entries = 2;
    auto too_many = extract_zip(zip_fixtures() / "good.zip", out.path / "x", few);
    REQUIRE_FALSE(too_many.ok());
    CHECK(too_many.error().code == ErrorCode::Range);
    CHECK_THAT(too_many.error().message, Catch::Contains("too many entries (5; the limit is 2)"));

    ZipLimits ratio;
    ratio.max_ratio = 5; // data.txt compresses about 11:1
    auto compressed = extract_zip(zip_fixtures() / "good.zip", out.path / "x", ratio);
    REQUIRE_FALSE(compressed.ok());
    CHECK_THAT(compressed.error().message, Catch::Contains("entry \"dir/sub/data.txt\": compression ratio above 5"));
    CHECK(test::is_empty_dir(out.path));
}

TEST_CASE("an existing destination is a conflict and stays untouched") {
    TempDir out;
    test::write_text(out.path / "x/keep.txt", "mine");
    auto result = extract_zip(zip_fixtures() / "good.zip", out.path / "x");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::Conflict);
    CHECK(test::read_text(out.path / "x/keep.txt") == "mine");
    CHECK(std::distance(fs::directory_iterator(out.path / "x"), fs::directory_iterator()) == 1);
}

TEST_CASE("a destination written with a trailing slash is the directory it names") {
    TempDir out;
    REQUIRE(extract_zip(zip_fixtures() / "zip64.zip", out.path / "y/").ok());
    CHECK(test::read_text(out.path / "y/two.txt") == "stored in zip64\n");
    CHECK(std::distance(fs::directory_iterator(out.path), fs::directory_iterator()) == 1);
}

TEST_CASE("a missing archive is NOENTRY") {
    TempDir out;
    auto result = extract_zip(out.path / "absent.zip", out.path / "x");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::Noentry);
    CHECK_FALSE(fs::exists(out.path / "x"));
}

TEST_CASE("every truncation of a good archive is refused without leftovers") {
    TempDir out;
    std::string whole = test::read_text(zip_fixtures() / "zip64.zip");
    for (size_t size : {size_t{0}, size_t{10}, size_t{100}, whole.size() / 2, whole.size() - 30, whole.size() - 1}) {
        test::write_text(out.path / "cut.zip", whole.substr(0, size));
        auto result = extract_zip(out.path / "cut.zip", out.path / "x");
        INFO("size " << size);
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code == ErrorCode::Parse);
        CHECK_FALSE(fs::exists(out.path / "x"));
    }
}
