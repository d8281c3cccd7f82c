// Reads the identity and endpoint keys and watches them on gg_config, on a thread of its own.
#include "config_watch.hpp"

#include "ggl/log.hpp"
#include "ggl/services/config.hpp"

#include <algorithm>
#include <chrono>

#include <sys/socket.h>
#include <unistd.h>

namespace ggl::iotcored {

namespace {

namespace config = services::config;

const config::KeyPath kSystem{"system"};
const config::KeyPath kNucleusConfiguration{"services", kNucleus, "configuration"};
const config::KeyPath kPkcs11Configuration{"services", kPkcs11Provider, "configuration"};

} // namespace

ConfigWatch::ConfigWatch(EventLoop& loop, Changed changed) : loop_(loop), changed_(std::move(changed)) {}

ConfigWatch::~ConfigWatch() {
    {
        // A stop (SIGTERM) must not wait for the thread's bus timeouts: a slow stop keeps
        // iotcored.socket and ggconfigd.socket (ordered after iotcored.service) up past
        // `systemctl stop ggl.target`, and a start then cancels their stop jobs, so the
        // services' start counts are never reset and a few quick restarts of ggl.target
        // hit the start limit.
        std::lock_guard lock(mutex_);
        stopping_ = true;
        for (int fd : attached_) ::shutdown(fd, SHUT_RDWR);
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

ConfigWatch::Attached::Attached(ConfigWatch& watch, bus::Client& client) : watch_(watch) {
    std::lock_guard lock(watch_.mutex_);
    // Connecting to a Unix socket does not wait for the server to accept.
    if (watch_.stopping_ || !client.connect()) return;
    fd_ = ::dup(client.native_handle());
    if (fd_ >= 0) watch_.attached_.push_back(fd_);
}

ConfigWatch::Attached::~Attached() {
    if (fd_ < 0) return;
    std::lock_guard lock(watch_.mutex_);
    std::erase(watch_.attached_, fd_);
    ::close(fd_);
}

void ConfigWatch::start() {
    thread_ = std::thread([this] { run(); });
}

void ConfigWatch::read_and_post() {
    services::ConfigClient client(bus::ClientOptions{std::chrono::seconds(5), 0});
    Attached attached(*this, client.bus());
    if (stopping_) return;
    auto system = client.read_optional(kSystem);
    auto nucleus = client.read_optional(kNucleusConfiguration);
    auto pkcs11 = client.read_optional(kPkcs11Configuration);
    IotConfiguration configuration;
    if (!system || !nucleus || !pkcs11) {
        configuration.why_not =
            "cannot read the configuration from ggconfigd: " + (!system    ? system.error().message
                                                                : !nucleus ? nucleus.error().message
                                                                           : pkcs11.error().message);
    } else {
        Object tree(Map{{"system", system->value_or(Map{})},
                        {"services", Map{{kNucleus, Map{{"configuration", nucleus->value_or(Map{})}}},
                                         {kPkcs11Provider, Map{{"configuration", pkcs11->value_or(Map{})}}}}}});
        auto read = iot_settings_from(tree, tls::ProxyEnvironment::of_process());
        if (read) {
            configuration.settings = std::move(*read);
        } else {
            configuration.why_not = read.error().message;
        }
        configuration.spool = spool_settings_from(tree, configuration.spool_problem);
    }
    loop_.post([this, configuration = std::move(configuration)]() mutable { changed_(std::move(configuration)); });
}

void ConfigWatch::run() {
    while (!stopping_) {
        // Subscribed first, then read: a change between the two is not missed.
        services::ConfigClient client(bus::ClientOptions{std::chrono::seconds(5), 0});
        bus::Client& bus = client.bus();
        Attached attached(*this, bus);
        if (stopping_) break;
        auto first = bus.send(bus::Op::Subscribe, config::kSubscribe.name, config::key_path_params(kSystem));
        auto second = first ? bus.send(bus::Op::Subscribe, config::kSubscribe.name,
                                       config::key_path_params(kNucleusConfiguration))
                            : first;
        auto third = second ? bus.send(bus::Op::Subscribe, config::kSubscribe.name,
                                       config::key_path_params(kPkcs11Configuration))
                            : second;
        bool subscribed = first && second && third && bus.flush();
        if (!stopping_) read_and_post();
        while (subscribed && !stopping_) {
            auto ready = bus.wait_readable(std::chrono::milliseconds(500));
            if (!ready) break;
            if (!*ready) continue;
            auto reply = bus.receive(std::chrono::milliseconds(1000));
            if (!reply) {
                if (reply.error().code == ErrorCode::Retry) continue;
                break;
            }
            if (reply->kind == bus::ReplyKind::Error || reply->kind == bus::ReplyKind::End) {
                break; // refused or ended: subscribe again
            }
            if (reply->kind != bus::ReplyKind::Event) {
                continue; // the subscriptions' acceptance
            }
            // A burst of changes (an import, a deployment) is read once.
            for (;;) {
                auto more = bus.wait_readable(std::chrono::milliseconds(200));
                if (!more || !*more || !bus.receive(std::chrono::milliseconds(200))) break;
            }
            read_and_post();
        }
        // ggconfigd went away (a restart): subscribe again after a pause.
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, std::chrono::seconds(2), [this] { return stopping_.load(); });
    }
}

} // namespace ggl::iotcored
