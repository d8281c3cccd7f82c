// User and group lookups that keep NSS modules out of long-running daemons.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace ggl::unix_accounts {

struct User {
    uid_t uid = 0;
    gid_t gid = 0; // the user's primary group
};

// The gid of the group called name in the text of a group file (/etc/group format:
// name:password:gid:members, one group a line), or nullopt. Lines that are not an entry
// (blank, comments, NIS "+"/"-" lines, too few fields, an id that is not a decimal number
// below 2^32-1) are skipped, as glibc's "files" source skips them; the first entry with
// that name wins.
std::optional<gid_t> find_in_group_file(std::string_view content, std::string_view name);

// The same for a user in the text of a passwd file (name:password:uid:gid:gecos:home:shell).
std::optional<User> find_in_passwd_file(std::string_view content, std::string_view name);

// name's gid. /etc/group is read directly; a group it does not hold is looked up with
// `getent group NAME` in a child process, so groups from other NSS sources (LDAP, sssd,
// systemd-userdb) are still found, but their modules are loaded into that short-lived
// child rather than into the daemon for the rest of its life (why: docs/footprint.md).
std::optional<gid_t> lookup_gid(const std::string& name);

// name's uid and primary group, the same way: /etc/passwd, then `getent passwd NAME`.
std::optional<User> lookup_user(const std::string& name);

} // namespace ggl::unix_accounts
