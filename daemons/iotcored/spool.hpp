// The offline spool: publishes accepted while AWS IoT Core cannot be reached, kept in a
// sqlite file until IoT Core has them, across restarts and kill -9 (docs/iot-core.md).
#pragma once

#include "ggl/error.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

struct sqlite3;

namespace ggl::iotcored {

// One message for IoT Core.
struct OutgoingMessage {
    std::string topic;
    std::string payload;
    int qos = 0;
    bool retain = false;
    std::vector<std::pair<std::string, std::string>> user_properties;
};

struct SpooledMessage {
    int64_t id = 0;
    uint64_t size = 0; // what it counts against the spool's bound
    OutgoingMessage message;
};

class Spool {
public:
    // Opens the spool at path, making it (mode 0600) and its directory when missing. A
    // file that is not a spool sqlite can read is moved aside to PATH.unreadable (the
    // error log says so) and a new spool begun: one bad file does not stop publishing.
    static Result<std::unique_ptr<Spool>> open(const std::string& path);
    ~Spool();
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;

    // Stores the message, committed to disk, before it returns the message's id. RETRY
    // naming the bound when it would hold more than max_bytes, or naming the disk when
    // the disk is full; FAILURE for other sqlite errors.
    Result<SpooledMessage> add(OutgoingMessage message, uint64_t max_bytes);
    // Up to limit messages with ids above after, oldest first (removed ones are flushed
    // first, so that none comes back).
    Result<std::vector<SpooledMessage>> after(int64_t id, size_t limit);
    // Forgets a message IoT Core has (or refused for good): it no longer counts at once,
    // and is deleted by the next flush().
    void remove(int64_t id, uint64_t size);
    // Deletes the removed messages in one transaction; they stay removed in memory and are
    // tried again by the next flush when it fails (they may be sent again after a restart).
    Result<void> flush();

    size_t depth() const { return depth_; }
    uint64_t bytes() const { return bytes_; }
    const std::string& path() const { return path_; }

    // What a message counts against the bound: its topic, payload and user properties.
    static uint64_t size_of(const OutgoingMessage& message);

private:
    struct Statements;
    Spool(std::string path, sqlite3* db);
    Result<void> prepare();

    std::string path_;
    sqlite3* db_;
    std::unique_ptr<Statements> statements_;
    size_t depth_ = 0;
    uint64_t bytes_ = 0;
    std::vector<int64_t> removed_;
};

} // namespace ggl::iotcored
