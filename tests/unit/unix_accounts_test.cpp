// Unit tests of the user and group lookups that keep NSS modules out of the daemons
// (lib/daemon/src/unix_accounts.cpp): the /etc/group and /etc/passwd parsers on
// well-formed and malformed lines, and the lookups end to end.
#include "ggl/unix_accounts.hpp"

#include <catch2/catch.hpp>

#include <grp.h>
#include <pwd.h>

#include <optional>

using namespace ggl;
using unix_accounts::find_in_group_file;
using unix_accounts::find_in_passwd_file;

TEST_CASE("a group file entry gives its gid") {
    std::string_view content = "root:x:0:\n"
                               "ggcore:x:993:ggl,other\n"
                               "users:x:100:\n";
    CHECK(find_in_group_file(content, "root") == std::optional<gid_t>(0));
    CHECK(find_in_group_file(content, "ggcore") == std::optional<gid_t>(993));
    CHECK(find_in_group_file(content, "users") == std::optional<gid_t>(100));
}

TEST_CASE("a group absent from the file, or a name that only prefixes one, is not found") {
    std::string_view content = "ggcore-extra:x:12:\nggcor:x:13:\nGGCORE:x:14:\n";
    CHECK_FALSE(find_in_group_file(content, "ggcore"));
    CHECK_FALSE(find_in_group_file("", "ggcore"));
    CHECK_FALSE(find_in_group_file(content, ""));
}

TEST_CASE("the last line needs no newline, and the members field is optional") {
    CHECK(find_in_group_file("a:x:1:\nggcore:x:42", "ggcore") == std::optional<gid_t>(42));
    CHECK(find_in_group_file("ggcore::7:", "ggcore") == std::optional<gid_t>(7));
}

TEST_CASE("malformed lines are skipped and a later well-formed entry still counts") {
    std::string_view content = "# a comment\n"
                               "\n"
                               "+ggcore:x:1:\n"
                               "-ggcore\n"
                               "ggcore\n"
                               "ggcore:x\n"
                               "ggcore:x::\n"
                               "ggcore:x:12a:\n"
                               "ggcore:x:-5:\n"
                               "ggcore:x:99999999999:\n"
                               "ggcore:x:4294967295:\n"
                               "ggcore:x: 5:\n"
                               "ggcore:x:321:\n"
                               "ggcore:x:654:\n";
    CHECK(find_in_group_file(content, "ggcore") == std::optional<gid_t>(321));
}

TEST_CASE("a file of only malformed entries finds nothing") {
    CHECK_FALSE(find_in_group_file("ggcore:x:abc:\nggcore:x:\nggcore:x:4294967295:", "ggcore"));
}

TEST_CASE("the lookup agrees with getgrnam for a group of /etc/group and for a missing one") {
    const group* root = ::getgrnam("root");
    REQUIRE(root != nullptr);
    CHECK(unix_accounts::lookup_gid("root") == std::optional<gid_t>(root->gr_gid));
    // Not in /etc/group: answered by getent in a child process, which finds nothing either.
    CHECK_FALSE(unix_accounts::lookup_gid("ggl-no-such-group-7f3a"));
    CHECK_FALSE(unix_accounts::lookup_gid(""));
    CHECK_FALSE(unix_accounts::lookup_gid("root:x"));
}

TEST_CASE("a passwd entry gives the user's uid and primary group") {
    std::string_view content = "root:x:0:0:root:/root:/bin/bash\n"
                               "# ggc_user:x:1:1::/:/bin/sh\n"
                               "ggc_user:x:1001:1002:Greengrass components:/home/ggc_user:/usr/sbin/nologin\n"
                               "short:x:7:8";
    auto user = find_in_passwd_file(content, "ggc_user");
    REQUIRE(user);
    CHECK(user->uid == 1001);
    CHECK(user->gid == 1002);
    auto last = find_in_passwd_file(content, "short");
    REQUIRE(last);
    CHECK(last->uid == 7);
    CHECK(last->gid == 8);
    CHECK_FALSE(find_in_passwd_file(content, "ggc"));
    CHECK_FALSE(find_in_passwd_file(content, ""));
}

TEST_CASE("a passwd entry without a valid uid and gid is skipped for a later one") {
    std::string_view content = "ggc_user:x:1001\n"
                               "ggc_user:x:abc:1:\n"
                               "ggc_user:x:1:4294967295:\n"
                               "+ggc_user:x:5:5:\n"
                               "ggc_user:x:42:43::/:/bin/sh\n";
    auto user = find_in_passwd_file(content, "ggc_user");
    REQUIRE(user);
    CHECK(user->uid == 42);
    CHECK(user->gid == 43);
    CHECK_FALSE(find_in_passwd_file("ggc_user:x:1:\nggc_user:x::2:", "ggc_user"));
}

TEST_CASE("the user lookup agrees with getpwnam, and finds no missing user") {
    const passwd* nobody = ::getpwnam("nobody");
    REQUIRE(nobody != nullptr);
    auto user = unix_accounts::lookup_user("nobody");
    REQUIRE(user);
    CHECK(user->uid == nobody->pw_uid);
    CHECK(user->gid == nobody->pw_gid);
    CHECK_FALSE(unix_accounts::lookup_user("ggl-no-such-user-7f3a"));
    CHECK_FALSE(unix_accounts::lookup_user(""));
    CHECK_FALSE(unix_accounts::lookup_user("nobody:x"));
}
