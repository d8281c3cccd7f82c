// Reads the identity and endpoint keys and watches them on gg_config, on a thread of its own.
#include "config_watch.hpp"

#include "ggl/log.hpp"
#include "ggl/services/config.hpp"

#include <chrono>

namespace ggl::iotcored {

namespace {

namespace config = services::config;

const config::KeyPath kSystem{"system"};
const config::KeyPath kNucleusConfiguration{"services", kNucleus, "configuration"};
const config::KeyPath kPkcs11Configuration{"services", kPkcs11Provider, "configuration"};

} // namespace

ConfigWatch::ConfigWatch(EventLoop& loop, Changed changed) : loop_(loop), changed_(std::move(changed)) {}

ConfigWatch::~ConfigWatch() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
}

void ConfigWatch::start() {
    thread_ = std::thread([this] { run(); });
}

void ConfigWatch::read_and_post() {
    services::ConfigClient client(bus::ClientOptions{std::chrono::seconds(5), 0});
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
        auto first = bus.send(bus::Op::Subscribe, config::kSubscribe.name, config::key_path_params(kSystem));
        auto second = first ? bus.send(bus::Op::Subscribe, config::kSubscribe.name,
                                       config::key_path_params(kNucleusConfiguration))
                            : first;
        auto third = second ? bus.send(bus::Op::Subscribe, config::kSubscribe.name,
                                       config::key_path_params(kPkcs11Configuration))
                            : second;
        bool subscribed = first && second && third && bus.flush();
        read_and_post();
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
        for (int i = 0; i < 20 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

} // namespace ggl::iotcored
