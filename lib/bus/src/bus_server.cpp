// The bus server's public face (Server) and its listening socket; a client's connection,
// dispatch and subscriptions are in bus_server_{connection,dispatch,subscriptions}.cpp.
#include "ggl/bus_server.hpp"

#include "ggl/env.hpp"
#include "ggl/log.hpp"
#include "ggl/service_manager.hpp"
#include "ggl/unix_accounts.hpp"

#include "bus_server_core.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ggl::bus {

namespace {

Error errno_error(ErrorCode code, const std::string& what, int err) {
    return make_error(code, what + ": " + std::strerror(err));
}

} // namespace

// ---- ServerCore: the listening socket ----

Result<void> ServerCore::listen_path(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path) {
        return make_error(ErrorCode::Invalid, "socket path \"" + path + "\" is empty or longer than " +
                                                  std::to_string(sizeof addr.sun_path - 1) + " bytes");
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

    // Make the directory (one level, as /run/greengrass is) if it is missing.
    auto slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0) {
        std::string dir = path.substr(0, slash);
        if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
            return errno_error(ErrorCode::Failure, "cannot create " + dir, errno);
        }
    }

    // A live server answers a connect; a stale file left by a crash does not.
    {
        UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
            return make_error(ErrorCode::Busy, path + " is already served by another process");
        }
    }
    // Bind and listen under a temporary name, then rename into place: the socket
    // appears only once it accepts connections, and a stale one is replaced atomically.
    std::string staging = path + ".new-" + std::to_string(::getpid());
    sockaddr_un staging_addr{};
    staging_addr.sun_family = AF_UNIX;
    if (staging.size() >= sizeof staging_addr.sun_path) {
        staging = path; // no room for a suffix: bind in place
        ::unlink(path.c_str());
    }
    std::memcpy(staging_addr.sun_path, staging.c_str(), staging.size() + 1);
    ::unlink(staging.c_str());
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) {
        return errno_error(ErrorCode::Failure, "socket", errno);
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&staging_addr), sizeof staging_addr) != 0) {
        return errno_error(ErrorCode::Failure, "cannot bind " + staging, errno);
    }
    ::chmod(staging.c_str(), 0660);
    // Not getgrnam: it would load NSS modules (libnss_systemd) into every daemon for good.
    if (auto gid = unix_accounts::lookup_gid("ggcore")) {
        if (::chown(staging.c_str(), static_cast<uid_t>(-1), *gid) != 0) {
            GGL_LOGD("cannot give %s to group ggcore: %s", path.c_str(), std::strerror(errno));
        }
    }
    if (::listen(fd.get(), SOMAXCONN) != 0) {
        int err = errno;
        ::unlink(staging.c_str());
        return errno_error(ErrorCode::Failure, "listen on " + path, err);
    }
    if (staging != path && ::rename(staging.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(staging.c_str());
        return errno_error(ErrorCode::Failure, "cannot move socket into place at " + path, err);
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        socket_inode_ = st.st_ino;
    }
    socket_path_ = path;
    if (auto ok = listen_fd(fd.release(), true); !ok) {
        return ok;
    }
    return {};
}

Result<void> ServerCore::listen_fd(int fd, bool owns_path) {
    listen_fd_.reset(fd);
    owns_socket_file_ = owns_path;
    std::weak_ptr<ServerCore> weak = shared_from_this();
    return loop_.add_fd(fd, EPOLLIN, [weak](uint32_t) {
        if (auto core = weak.lock()) {
            core->on_accept();
        }
    });
}

void ServerCore::close() {
    if (listen_fd_) {
        loop_.remove_fd(listen_fd_.get());
        listen_fd_.reset();
        struct stat st {};
        if (owns_socket_file_ && ::stat(socket_path_.c_str(), &st) == 0 && st.st_ino == socket_inode_) {
            ::unlink(socket_path_.c_str());
        }
    }
    auto connections = connections_;
    for (auto& [fd, conn] : connections) {
        close_connection(conn, nullptr);
    }
}

// ---- Server ----

Server::Server(EventLoop& loop, std::string service, std::string version, ServerOptions options)
    : core_(std::make_shared<ServerCore>(loop, std::move(service), std::move(version), options)) {
    core_->start();
}

Server::~Server() { core_->close(); }

void Server::add_call(MethodSpec spec, SyncHandler handler) {
    add_async_call(std::move(spec), [handler = std::move(handler)](Call call) {
        auto outcome = handler(call);
        if (outcome) {
            call.reply(std::move(*outcome));
        } else {
            call.fail(std::move(outcome).error());
        }
    });
}

void Server::add_async_call(MethodSpec spec, AsyncHandler handler) {
    core_->add_method(ServerCore::Method{std::move(spec), MethodKind::Call, std::move(handler), {}});
}

void Server::add_subscribe(MethodSpec spec, SubscribeHandler handler) {
    core_->add_method(ServerCore::Method{std::move(spec), MethodKind::Subscribe, {}, std::move(handler)});
}

Result<void> Server::listen() {
    int found = -1;
    for (const auto& passed : service_manager::passed_sockets()) {
        if (passed.name == core_->service()) {
            found = passed.fd;
        }
    }
    if (found >= 0) {
        if (!service_manager::is_listening_unix_stream(found)) {
            return make_error(ErrorCode::Invalid, "socket-activation fd \"" + core_->service() +
                                                      "\" is not a listening Unix stream socket");
        }
        int flags = fcntl(found, F_GETFL);
        fcntl(found, F_SETFL, flags | O_NONBLOCK);
        GGL_LOGD("%s: using the socket systemd passed (fd %d)", core_->service().c_str(), found);
        return core_->listen_fd(found, false);
    }
    auto path = env::service_socket_path(core_->service());
    if (!path) {
        return std::move(path).error();
    }
    return core_->listen_path(*path);
}

Result<void> Server::listen_path(const std::string& path) { return core_->listen_path(path); }
Result<void> Server::listen_fd(int fd) { return core_->listen_fd(fd, false); }
void Server::close() { core_->close(); }
const std::string& Server::service() const { return core_->service(); }
const std::string& Server::socket_path() const { return core_->socket_path(); }
size_t Server::connection_count() const { return core_->connection_count(); }

} // namespace ggl::bus
