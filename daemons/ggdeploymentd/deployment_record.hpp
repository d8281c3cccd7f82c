// A deployment: the request as validated, its state, and the durable record of every
// step under $GGL_ROOT/deployments/<id>.json (docs/deployments.md).
#pragma once

#include "ggl/error.hpp"
#include "ggl/object.hpp"
#include "ggl/services/deployment.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ggl::deployment {

using services::deployment::kLocalGroup;
inline constexpr const char* kAwaitingReboot = "awaiting-reboot";

enum class State {
    Queued,
    InProgress,
    Succeeded,
    FailedNoStateChange, // rejected before anything changed
    FailedRollbackComplete,
    FailedRollbackNotRequested,
    FailedUnableToRollback,
    Canceled,
};

std::string_view state_name(State state); // "FAILED_ROLLBACK_COMPLETE"
std::optional<State> state_from_name(std::string_view name);
bool is_final(State state);

// create_local_deployment's params, checked (services::deployment::Request), with the
// recipe library's rules for component names and versions.
using Request = services::deployment::Request;
Result<Request> parse_request(const Map& params);

// Why a deployment failed: the component, its phase and what its unit said.
struct Failure {
    std::string component; // empty when no single component is to blame
    std::string phase; // validate, artifacts, configuration, bootstrap, install, startup, run, ...
    std::string reason;
    std::optional<int64_t> exit_status;
    std::vector<std::string> journal; // the last lines of its unit's output

    Map to_object() const;
    static Failure from_object(const Object& object);
};

struct Record {
    std::string id;
    State state = State::Queued;
    int64_t created_ms = 0;
    int64_t updated_ms = 0;
    uint64_t sequence = 0; // queue order
    Request request;
    List steps; // {time, message}
    std::optional<Failure> failure;
    std::optional<Failure> rollback_failure;
    Object plan; // what the deployment changes (set once planned)

    // For finishing after a restart: once the device may have changed, roll back
    // rather than start over.
    bool changes_started = false;
    Map previous_versions; // component -> version installed before
    std::vector<std::string> touched; // components stopped, changed or removed
    std::vector<std::string> added_to_store; // "name version" entries this deployment created

    // A bootstrap step exited 101: the deployment waits, IN_PROGRESS, in phase
    // kAwaitingReboot for the reboot it asked for, and resumes after it with the
    // lifecycle work left (resume); boot_id tells a reboot from a mere restart of
    // ggdeploymentd (which leaves it waiting).
    std::string phase;
    std::string boot_id;
    Object resume;

    Map to_object() const; // everything, as get_deployment_status returns it
    Map summary() const; // for list_deployments
    static Result<Record> from_object(const Object& object);
};

// Fills bytes[0, size) from the kernel's random source, retrying until it has them all.
void fill_random(unsigned char* bytes, size_t size);
// "8e1f...-....": a random (version 4) UUID.
std::string new_deployment_id();
bool is_valid_deployment_id(std::string_view id);
int64_t now_ms();

// The records under a directory, one JSON file each, written atomically and fsynced.
class RecordStore {
public:
    explicit RecordStore(std::filesystem::path directory);
    Result<void> prepare(); // creates the directory
    Result<void> save(const Record& record) const;
    // Every record; unreadable files are reported in problems and skipped.
    std::vector<Record> load_all(std::vector<std::string>& problems) const;
    const std::filesystem::path& directory() const { return directory_; }
    // Where a deployment keeps its snapshot of unit files.
    std::filesystem::path snapshot_dir(const std::string& id) const;

private:
    std::filesystem::path directory_;
};

} // namespace ggl::deployment
