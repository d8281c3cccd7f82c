// What a daemon says to, and receives from, the service manager that started it:
// readiness notifications (sd_notify(3)) and sockets passed by socket activation
// (sd_listen_fds(3)), spoken directly over systemd's documented, stable protocols.
//
// Why not libsystemd's sd_notify/sd_listen_fds: linking it maps libsystemd and its
// compression and crypto libraries (lz4, zstd, lzma, gcrypt, gpg-error, cap) into every
// daemon, about 110 KiB of relocated pages, for two small protocols that systemd documents
// as stable for other implementations (sd_notify(3), sd_listen_fds(3)). The programs that
// use sd-bus or the journal (gghealthd, ggdeploymentd, ggl) link libsystemd directly
// (docs/footprint.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ggl::service_manager {

// One socket passed by the service manager: fd 3 onwards, named by FileDescriptorName=.
struct PassedSocket {
    int fd = -1;
    std::string name; // "unknown" when LISTEN_FDNAMES does not name it
};

// The sockets passed to this process ($LISTEN_PID is ours), close-on-exec from now on.
// Read once; later calls return the same list.
const std::vector<PassedSocket>& passed_sockets();

// True when fd is a listening AF_UNIX stream socket.
bool is_listening_unix_stream(int fd);

// Sends state ("READY=1", "STOPPING=1", "STATUS=...") as one datagram to $NOTIFY_SOCKET
// (a path, or '@' for the abstract namespace). False when there is no NOTIFY_SOCKET
// (started from a shell) or the datagram could not be sent.
bool notify(std::string_view state);

} // namespace ggl::service_manager
