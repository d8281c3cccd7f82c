// ggl check: diagnostics of a device (configuration, identity files, clock, disk, the
// daemons on the bus and under systemd, BROKEN components), one finding per line. In the
// helper program ggl-check (check_command.hpp).
#include "check_command.hpp"
#include "check_context.hpp"
#include "check_rules.hpp"

#include "ggl/bus_client.hpp"
#include "ggl/cli/error_report.hpp"
#include "ggl/cli/exit_code.hpp"
#include "ggl/cli/output.hpp"
#include "ggl/config_store.hpp"
#include "ggl/device_settings.hpp"
#include "ggl/env.hpp"
#include "ggl/fd.hpp"
#include "ggl/file.hpp"
#include "ggl/services/config.hpp"
#include "ggl/services/deployment.hpp"
#include "ggl/services/health.hpp"
#include "ggl/services/iot_mqtt.hpp"
#include "ggl/services/pubsub.hpp"
#include "ggl/systemd.hpp"

#include <langinfo.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/timex.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <optional>

#ifndef GGL_BUILD_EPOCH
#define GGL_BUILD_EPOCH 0
#endif
#ifndef GGL_BINDIR_FROM_HELPER_DIR
#error "GGL_BINDIR_FROM_HELPER_DIR (bin/ relative to libexec/ggl) comes from cli/ggl/CMakeLists.txt"
#endif

namespace ggl::front {
namespace {

// The daemons that serve the bus (docs/processes.md); optional ones are checked only where
// installed. ggipcd serves components on the IPC socket rather than the bus (check_ipc).
struct Daemon {
    const char* program;
    const char* service; // bus service; nullptr for ggipcd
    bool optional;
};
constexpr Daemon kDaemons[] = {
    {"ggconfigd", services::config::kService, false},         {"gghealthd", services::health::kService, false},
    {"ggdeploymentd", services::deployment::kService, false}, {"ggpubsubd", services::pubsub::kService, true},
    {"iotcored", services::iot_mqtt::kService, true},         {"tesd", "aws_iot_tes", true},
};
constexpr Daemon kIpcDaemon{"ggipcd", nullptr, true};

std::string errno_text(int err) { return std::strerror(err); }

// The configuration through ggconfigd when it answers, else straight from its database
// file (read-only use; ggconfigd may be down because of the very problem being looked for).
std::optional<ConfigReader> open_configuration(Context& context) {
    if (context.is_reachable(services::config::kService)) {
        auto client = std::make_shared<services::ConfigClient>(bus::ClientOptions{context.timeout, 0});
        context.add("configuration", Status::Ok, "read through ggconfigd (gg_config)");
        return ConfigReader([client](const KeyPath& path) { return client->read_optional(path); });
    }
    std::string path = env::config_db();
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        int err = errno;
        context.add("configuration", Status::Error,
                    "ggconfigd does not answer and there is no database at " + path + " (" + errno_text(err) + ")",
                    "start ggconfigd (see its bus check below), or provision with ggl config --db " + path +
                        " set system/thingName NAME");
        return std::nullopt;
    }
    config::OpenOptions options;
    options.create = false;
    auto store = config::ConfigStore::open(path, options);
    if (!store) {
        context.add("configuration", Status::Error, "cannot open " + path + ": " + store.error().message,
                    "restore it from a backup, or move it away and provision again");
        return std::nullopt;
    }
    context.add("configuration", Status::Ok, "read from " + path + " (ggconfigd does not answer)");
    std::shared_ptr<config::ConfigStore> shared(std::move(*store));
    return ConfigReader([shared](const KeyPath& key) -> Result<std::optional<Object>> {
        auto value = shared->read(key);
        if (value) return std::optional<Object>(std::move(*value));
        if (value.error().code == ErrorCode::Noentry) return std::optional<Object>();
        return std::move(value).error();
    });
}

// system/rootPath, else $GGL_ROOT; empty when it does not exist (reported).
std::string check_root_path(Context& context, const std::optional<ConfigReader>& read) {
    std::string root = env::root_dir();
    std::string source = "$GGL_ROOT";
    if (read) {
        size_t before = context.findings.size();
        if (auto configured = read_text(context, *read, "root path", "system/rootPath")) {
            root = *configured;
            source = "system/rootPath";
        } else if (context.findings.size() != before) {
            return {};
        }
    }
    struct stat info {};
    if (::stat(root.c_str(), &info) != 0) {
        int err = errno;
        context.add("root path", Status::Error, root + " (" + source + "): " + errno_text(err),
                    "create it (mkdir -p " + root + ") or correct " + source);
        return {};
    }
    if (!S_ISDIR(info.st_mode)) {
        context.add("root path", Status::Error, root + " (" + source + ") is not a directory", "correct " + source);
        return {};
    }
    context.add("root path", Status::Ok, root);
    return root;
}

// Space and inodes of the filesystem holding root; label tells two such checks apart.
void check_disk(Context& context, const std::string& root, const std::string& label = "") {
    if (root.empty()) {
        context.add("disk space", Status::Skipped, "the root path is missing");
        return;
    }
    struct statvfs info {};
    if (::statvfs(root.c_str(), &info) != 0) {
        int err = errno;
        context.add("disk space" + label, Status::Error,
                    "cannot read the filesystem of " + root + ": " + errno_text(err),
                    "check that " + root + " is mounted");
        return;
    }
    uint64_t block = info.f_frsize != 0 ? info.f_frsize : info.f_bsize;
    uint64_t total = static_cast<uint64_t>(info.f_blocks) * block;
    uint64_t available = static_cast<uint64_t>(info.f_bavail) * block;
    Status space = check::grade_space(total, available, check::kDiskSpaceLimits);
    auto percent = [](uint64_t part, uint64_t whole) {
        return std::to_string(whole == 0 ? 0
                                         : static_cast<int>(std::floor(100.0 * static_cast<double>(part) /
                                                                       static_cast<double>(whole)))) +
               "%";
    };
    context.add("disk space" + label, space,
                check::format_bytes(available) + " free of " + check::format_bytes(total) + " (" +
                    percent(available, total) + ") under " + root,
                space == Status::Ok ? "" : "free space under " + root + " (old deployments, logs, unused artifacts)");
    if (info.f_files == 0) {
        context.add("inodes" + label, Status::Ok, "the filesystem has no inode limit");
        return;
    }
    Status inodes = check::grade_space(info.f_files, info.f_favail, check::kInodeLimits);
    context.add("inodes" + label, inodes,
                std::to_string(info.f_favail) + " free of " + std::to_string(info.f_files) + " (" +
                    percent(info.f_favail, info.f_files) + ")",
                inodes == Status::Ok ? ""
                                     : "remove small files under " + root + ", or use a filesystem with more inodes");
}

// The root path's filesystem; and $GGL_ROOT's (the component store, the database) when a
// configured rootPath (the components' work directories) puts them on different ones.
void check_disks(Context& context, const std::string& root) {
    check_disk(context, root);
    struct stat root_info {};
    struct stat store_info {};
    std::string store = env::root_dir();
    if (!root.empty() && ::stat(root.c_str(), &root_info) == 0 && ::stat(store.c_str(), &store_info) == 0 &&
        root_info.st_dev != store_info.st_dev) {
        check_disk(context, store, " ($GGL_ROOT)");
    }
}

// The kernel's own flag, which is what timedated's NTPSynchronized reports; nullopt when
// adjtimex is not allowed here (a container's seccomp filter).
std::optional<bool> clock_synchronized() {
    struct timex state {};
    int result = ::adjtimex(&state);
    if (result < 0) return std::nullopt;
    return result != TIME_ERROR && (state.status & STA_UNSYNC) == 0;
}

void check_clock(Context& context) {
    check::ClockFacts facts{context.now_seconds, static_cast<int64_t>(GGL_BUILD_EPOCH), clock_synchronized()};
    context.findings.push_back(check::grade_clock(facts));
}

bool is_executable_file(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// A daemon's program beside the ggl command (GGL_BINDIR_FROM_HELPER_DIR: ../../bin from
// libexec/ggl, where ggl-check runs), else on PATH: a build tree or an install under
// any prefix checks its own programs rather than whatever PATH offers.
std::optional<std::string> find_program(std::string_view program) {
    std::string beside = env::executable_dir() + "/" GGL_BINDIR_FROM_HELPER_DIR "/" + std::string(program);
    if (is_executable_file(beside)) {
        return beside;
    }
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "";
    while (!dirs.empty()) {
        size_t colon = dirs.find(':');
        std::string_view dir = dirs.substr(0, colon);
        dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
        std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + '/' + std::string(program);
        if (is_executable_file(candidate)) {
            return candidate;
        }
    }
    return std::nullopt;
}

bool is_installed(const Daemon& daemon, const std::string& socket_path) {
    struct stat info {};
    return find_program(daemon.program).has_value() || ::stat(socket_path.c_str(), &info) == 0;
}

void check_daemons(Context& context, std::vector<const Daemon*>& checked) {
    for (const Daemon& daemon : kDaemons) {
        std::string socket_path = env::runtime_dir() + "/" + daemon.service;
        if (daemon.optional && !is_installed(daemon, socket_path)) continue;
        checked.push_back(&daemon);
        std::string check = "bus " + std::string(daemon.service);
        bus::Client client = bus::Client::for_path(socket_path, bus::ClientOptions{context.timeout, 0});
        auto description = client.call("ggl.describe", Map{});
        if (description) {
            context.reachable.emplace_back(daemon.service);
            std::string version = string_field(*description, "version");
            context.add(check, Status::Ok,
                        std::string(daemon.program) + " answers" +
                            (version.empty() ? "" : " (version " + version + ")"));
            continue;
        }
        const Error& error = description.error();
        std::string unit = std::string(daemon.program) + ".service";
        std::string remedy = context.systemctl() + " start " + unit + ", then " + context.journalctl() + " " + unit;
        if (error.remote) {
            context.add(check, Status::Warning,
                        std::string(daemon.program) + " answered ggl.describe with " + error.to_string(),
                        "restart it: " + context.systemctl() + " restart " + unit);
            context.reachable.emplace_back(daemon.service);
            continue;
        }
        std::string what = error.code == ErrorCode::Timeout ? " does not answer: " : " is not reachable: ";
        context.add(check, daemon.optional ? Status::Warning : Status::Error,
                    std::string(daemon.program) + what + error.message, remedy);
    }
}

// ggipcd, where installed: its socket (system/ipcSocketPath, else
// $GGL_RUNTIME_DIR/gg-ipc.socket) accepts a connection. The event-stream handshake
// needs a component's SVCUID, so accepting is as far as a check can go.
void check_ipc(Context& context, const std::optional<ConfigReader>& read, std::vector<const Daemon*>& checked) {
    std::string path = env::runtime_dir() + "/gg-ipc.socket";
    if (read) {
        size_t before = context.findings.size();
        auto configured = read_text(context, *read, "IPC socket", "system/ipcSocketPath");
        if (context.findings.size() != before) return;
        if (configured) path = *configured;
    }
    if (!is_installed(kIpcDaemon, path)) return;
    checked.push_back(&kIpcDaemon);
    std::string unit = "ggipcd.service";
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path) {
        context.add("IPC socket", Status::Error, path + " is too long for a Unix socket path",
                    set_command("system/ipcSocketPath", "SHORTER_PATH"));
        return;
    }
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    if (!fd.valid() || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        int err = errno;
        context.add("IPC socket", Status::Warning, "ggipcd is not reachable at " + path + ": " + errno_text(err),
                    context.systemctl() + " start " + unit + ", then " + context.journalctl() + " " + unit);
        return;
    }
    context.add("IPC socket", Status::Ok, "ggipcd accepts connections at " + path);
}

std::string unit_state_text(const systemd::UnitStatus& status) {
    std::string text = status.active_state + " (" + status.sub_state + ")";
    if (!status.result.empty() && status.result != "success") {
        text += ", result " + status.result;
    }
    return text;
}

void check_units(Context& context, const std::vector<const Daemon*>& daemons) {
    std::string manager_name =
        context.scope == systemd::Scope::User ? "the user service manager" : "the system service manager";
    auto manager = systemd::Manager::connect(context.scope);
    if (!manager) {
        context.add("systemd", Status::Warning, "cannot reach " + manager_name + ": " + manager.error().message,
                    context.scope == systemd::Scope::User
                        ? "run ggl check --system when the daemons are system services"
                        : "run ggl check --user when the daemons run under the user manager");
        return;
    }
    for (const Daemon* daemon : daemons) {
        std::string unit = std::string(daemon->program) + ".service";
        std::string check = "unit " + unit;
        Status bad = daemon->optional ? Status::Warning : Status::Error;
        std::string start = context.systemctl() + " start " + unit + ", then " + context.journalctl() + " " + unit;
        auto status = manager->loaded_unit_status(unit);
        if (!status) {
            context.add(check, Status::Warning, "cannot read its state: " + status.error().message,
                        context.systemctl() + " status " + unit);
            continue;
        }
        if (status->has_value() && (**status).load_state == "loaded") {
            const systemd::UnitStatus& unit_status = **status;
            if (unit_status.active_state == "active") {
                context.add(check, Status::Ok, unit_state_text(unit_status));
                continue;
            }
            if (unit_status.active_state == "activating" || unit_status.active_state == "reloading") {
                context.add(check, Status::Warning, unit_state_text(unit_status),
                            "wait, then look at " + context.journalctl() + " " + unit);
                continue;
            }
            // Socket activation: an idle service behind a listening socket is fine.
            auto socket = manager->loaded_unit_status(std::string(daemon->program) + ".socket");
            if (socket && socket->has_value() && (**socket).active_state == "active") {
                context.add(check, Status::Ok,
                            unit_state_text(unit_status) + ", started on demand by " + daemon->program + ".socket");
                continue;
            }
            context.add(check, bad, unit_state_text(unit_status), start);
            continue;
        }
        if (status->has_value()) {
            context.add(check, bad, "load state " + (**status).load_state,
                        context.systemctl() + " status " + unit + " says why; fix the unit file, then " +
                            context.systemctl() + " daemon-reload");
            continue;
        }
        auto files = manager->list_unit_files({unit});
        if (files && !files->empty()) {
            context.add(check, bad, "inactive", start);
        } else if (daemon->service != nullptr && context.is_reachable(daemon->service)) {
            context.add(check, Status::Warning, "no such unit in " + manager_name + "; the daemon runs outside it",
                        "install the units (cmake --install, or the .deb) and start " + unit);
        } else {
            context.add(check, bad, "no such unit in " + manager_name,
                        "install the units (cmake --install, or the .deb), then " + context.systemctl() + " start " +
                            unit);
        }
    }
}

void check_components(Context& context) {
    if (!context.is_reachable(services::health::kService)) {
        context.add("components", Status::Skipped, "gghealthd does not answer");
        return;
    }
    services::HealthClient client(bus::ClientOptions{context.timeout, 0});
    auto result = client.list_components();
    if (!result) {
        context.add("components", Status::Error, "gg_health list_components: " + result.error().to_string(),
                    "see " + context.journalctl() + " gghealthd.service");
        return;
    }
    size_t total = 0;
    size_t troubled = 0;
    if (const Object* components = find_field(*result, "components"); components && components->is_list()) {
        for (const Object& component : components->as_list()) {
            ++total;
            std::string name = string_field(component, "component_name");
            std::string state = string_field(component, "lifecycle_state");
            if (state == "BROKEN") {
                ++troubled;
                context.add("component " + name, Status::Error, "BROKEN",
                            "ggl component logs " + name + ", fix the cause, then ggl component restart " + name);
            } else if (state == "ERRORED") {
                ++troubled;
                context.add("component " + name, Status::Warning, "ERRORED (being restarted)",
                            "ggl component logs " + name);
            }
        }
    }
    if (troubled == 0) {
        context.add("components", Status::Ok,
                    std::to_string(total) + (total == 1 ? " component" : " components") + ", none BROKEN or ERRORED");
    }
}

bool utf8_terminal() {
    std::setlocale(LC_CTYPE, "");
    const char* codeset = ::nl_langinfo(CODESET);
    return codeset != nullptr && std::strcmp(codeset, "UTF-8") == 0;
}

} // namespace

int run_checks(const CheckArguments& arguments) {
    Context context;
    if (arguments.user_scope || arguments.system_scope) {
        context.scope = arguments.user_scope ? systemd::Scope::User : systemd::Scope::System;
    } else {
        auto scope = systemd::scope_from_environment();
        if (!scope) return cli::report_usage_error(scope.error().message);
        context.scope = *scope;
    }
    auto ms = static_cast<int64_t>(std::ceil(arguments.timeout_seconds * 1000.0));
    context.timeout = std::chrono::milliseconds(ms < 1 ? 1 : ms);
    context.now_seconds = static_cast<int64_t>(std::time(nullptr));

    // The daemons are asked first, since the configuration is read through ggconfigd when
    // it answers; their findings are printed after the configuration's.
    std::vector<const Daemon*> daemons;
    check_daemons(context, daemons);
    std::vector<Finding> daemon_findings = std::move(context.findings);
    context.findings.clear();

    auto configuration = open_configuration(context);
    if (configuration) {
        check_thing_name(context, *configuration);
        check_identity(context, *configuration);
        check_endpoints(context, *configuration);
        check_cloud(context, *configuration);
    }
    std::string root = check_root_path(context, configuration);
    check_disks(context, root);
    check_clock(context);
    context.findings.insert(context.findings.end(), daemon_findings.begin(), daemon_findings.end());
    check_ipc(context, configuration, daemons);
    check_units(context, daemons);
    check_components(context);

    if (cli::is_json(arguments.format)) {
        cli::print_json(check::to_object(context.findings), cli::json_style(arguments.format));
    } else {
        auto symbols = !arguments.ascii && utf8_terminal() ? check::Symbols::Unicode : check::Symbols::Ascii;
        std::fputs(check::render_human(context.findings, symbols).c_str(), stdout);
    }
    return check::exit_status(context.findings);
}

} // namespace ggl::front
