// The offline spool in sqlite: WAL with full sync, one row per message, ids in order.
#include "spool.hpp"

#include "ggl/file.hpp"
#include "ggl/log.hpp"
#include "ggl/msgpack.hpp"
#include "ggl/object.hpp"
#include "ggl/sqlite.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ggl::iotcored {

namespace {

constexpr const char* kSchema = "PRAGMA journal_mode=WAL;"
                                "PRAGMA synchronous=FULL;"
                                "PRAGMA locking_mode=EXCLUSIVE;"
                                // Appends at one end, reads in small batches at the other:
                                // a small page cache does (the default may grow to 2 MiB).
                                "PRAGMA cache_size=-128;"
                                "CREATE TABLE IF NOT EXISTS message("
                                " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                                " topic TEXT NOT NULL,"
                                " payload BLOB NOT NULL,"
                                " qos INTEGER NOT NULL,"
                                " retain INTEGER NOT NULL,"
                                " user_properties BLOB,"
                                " size INTEGER NOT NULL);";

Error sqlite_error(sqlite3* db, const std::string& path, const std::string& what) {
    int code = sqlite3_errcode(db);
    if (code == SQLITE_FULL) {
        return make_error(ErrorCode::Retry, "cannot " + what + ": the disk holding " + path + " is full");
    }
    return make_error(ErrorCode::Failure, "cannot " + what + " (" + path + "): " + sqlite3_errmsg(db));
}

bool unreadable(int code) { return code == SQLITE_NOTADB || code == SQLITE_CORRUPT; }

std::string encode_properties(const std::vector<std::pair<std::string, std::string>>& properties) {
    if (properties.empty()) return {};
    List pairs;
    for (const auto& [name, value] : properties) pairs.push_back(List{name, value});
    return msgpack_encode(Object(std::move(pairs)));
}

std::vector<std::pair<std::string, std::string>> decode_properties(const std::string& encoded) {
    std::vector<std::pair<std::string, std::string>> properties;
    auto decoded = encoded.empty() ? Result<Object>(Object(List{})) : msgpack_decode(encoded);
    if (!decoded || !decoded->is_list()) return properties;
    for (const Object& pair : decoded->as_list()) {
        if (pair.is_list() && pair.as_list().size() == 2 && pair.as_list()[0].is_string() &&
            pair.as_list()[1].is_string()) {
            properties.emplace_back(pair.as_list()[0].as_string(), pair.as_list()[1].as_string());
        }
    }
    return properties;
}

} // namespace

struct Spool::Statements {
    sqlite::Stmt insert;
    sqlite::Stmt after;
    sqlite::Stmt remove;
    sqlite::Stmt totals;
    sqlite::Stmt begin;
    sqlite::Stmt commit;
    sqlite::Stmt rollback;
};

Spool::Spool(std::string path, sqlite3* db)
    : path_(std::move(path)), db_(db), statements_(std::make_unique<Statements>()) {}

Spool::~Spool() {
    if (!removed_.empty()) (void)flush();
    statements_.reset();
    sqlite3_close_v2(db_);
}

uint64_t Spool::size_of(const OutgoingMessage& message) {
    uint64_t size = message.topic.size() + message.payload.size();
    for (const auto& [name, value] : message.user_properties) size += name.size() + value.size();
    return size;
}

Result<std::unique_ptr<Spool>> Spool::open(const std::string& path) {
    if (auto made = file::make_directories(file::directory_of(path), 0700); !made) {
        return std::move(made).error();
    }
    for (int attempt = 0;; ++attempt) {
        sqlite3* db = nullptr;
        int opened = sqlite3_open_v2(path.c_str(), &db,
                                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
        std::unique_ptr<Spool> spool(new Spool(path, db));
        if (opened == SQLITE_OK) {
            ::chmod(path.c_str(), 0600);
            auto prepared = spool->prepare();
            if (prepared) return spool;
            opened = sqlite3_errcode(db);
            if (!unreadable(opened) || attempt > 0) return std::move(prepared).error();
        } else if (!unreadable(opened) || attempt > 0) {
            return make_error(ErrorCode::Failure, "cannot open the spool " + path + ": " + sqlite3_errstr(opened));
        }
        spool.reset();
        // Not a spool: kept for a person to look at, and a new one begun.
        std::string aside = path + ".unreadable";
        if (std::rename(path.c_str(), aside.c_str()) != 0) {
            return make_error(ErrorCode::Failure, "the spool " + path + " is unreadable (" + sqlite3_errstr(opened) +
                                                      ") and cannot be moved aside: " + std::strerror(errno));
        }
        std::remove((path + "-wal").c_str());
        std::remove((path + "-shm").c_str());
        GGL_LOGE("the spool %s was unreadable (%s): moved to %s, a new spool begun", path.c_str(),
                 sqlite3_errstr(opened), aside.c_str());
    }
}

Result<void> Spool::prepare() {
    char* message = nullptr;
    if (sqlite3_exec(db_, kSchema, nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message ? message : sqlite3_errmsg(db_);
        sqlite3_free(message);
        return make_error(ErrorCode::Failure, "cannot open the spool " + path_ + ": " + text);
    }
    Statements& s = *statements_;
    struct {
        sqlite::Stmt& stmt;
        const char* sql;
    } all[] = {
        {s.insert, "INSERT INTO message(topic, payload, qos, retain, user_properties, size) VALUES(?1,?2,?3,?4,?5,?6)"},
        {s.after, "SELECT id, topic, payload, qos, retain, user_properties, size FROM message WHERE id > ?1 ORDER BY "
                  "id LIMIT ?2"},
        {s.remove, "DELETE FROM message WHERE id = ?1"},
        {s.totals, "SELECT count(*), coalesce(sum(size), 0) FROM message"},
        {s.begin, "BEGIN IMMEDIATE"},
        {s.commit, "COMMIT"},
        {s.rollback, "ROLLBACK"},
    };
    for (auto& [stmt, sql] : all) {
        if (stmt.prepare(db_, sql) != SQLITE_OK) return sqlite_error(db_, path_, "open the spool");
    }
    sqlite::Reset reset{s.totals.get()};
    if (sqlite3_step(s.totals.get()) != SQLITE_ROW) return sqlite_error(db_, path_, "read the spool");
    depth_ = static_cast<size_t>(sqlite3_column_int64(s.totals.get(), 0));
    bytes_ = static_cast<uint64_t>(sqlite3_column_int64(s.totals.get(), 1));
    return {};
}

Result<SpooledMessage> Spool::add(OutgoingMessage message, uint64_t max_bytes) {
    uint64_t size = size_of(message);
    if (bytes_ + size > max_bytes) {
        return make_error(ErrorCode::Retry, "the offline spool is full: it holds " + std::to_string(depth_) +
                                                " messages, " + std::to_string(bytes_) + " of " +
                                                std::to_string(max_bytes) + " bytes (mqtt/spooler/maxSizeBytes)");
    }
    sqlite3_stmt* insert = statements_->insert.get();
    sqlite::Reset reset{insert};
    sqlite::bind_text(insert, 1, message.topic);
    sqlite3_bind_blob64(insert, 2, message.payload.data(), message.payload.size(), SQLITE_STATIC);
    sqlite3_bind_int(insert, 3, message.qos);
    sqlite3_bind_int(insert, 4, message.retain ? 1 : 0);
    std::string properties = encode_properties(message.user_properties);
    if (!properties.empty()) sqlite3_bind_blob64(insert, 5, properties.data(), properties.size(), SQLITE_STATIC);
    sqlite3_bind_int64(insert, 6, static_cast<int64_t>(size));
    if (sqlite3_step(insert) != SQLITE_DONE) return sqlite_error(db_, path_, "spool the message");
    ++depth_;
    bytes_ += size;
    return SpooledMessage{sqlite3_last_insert_rowid(db_), size, std::move(message)};
}

Result<std::vector<SpooledMessage>> Spool::after(int64_t id, size_t limit) {
    if (auto flushed = flush(); !flushed) {
        return std::move(flushed).error();
    }
    sqlite3_stmt* select = statements_->after.get();
    sqlite::Reset reset{select};
    sqlite3_bind_int64(select, 1, id);
    sqlite3_bind_int64(select, 2, static_cast<int64_t>(limit));
    std::vector<SpooledMessage> messages;
    int step;
    while ((step = sqlite3_step(select)) == SQLITE_ROW) {
        SpooledMessage spooled;
        spooled.id = sqlite3_column_int64(select, 0);
        spooled.message.topic = sqlite::column_text(select, 1);
        spooled.message.payload = sqlite::column_blob(select, 2);
        spooled.message.qos = sqlite3_column_int(select, 3);
        spooled.message.retain = sqlite3_column_int(select, 4) != 0;
        spooled.message.user_properties = decode_properties(sqlite::column_blob(select, 5));
        spooled.size = static_cast<uint64_t>(sqlite3_column_int64(select, 6));
        messages.push_back(std::move(spooled));
    }
    if (step != SQLITE_DONE) return sqlite_error(db_, path_, "read the spool");
    return messages;
}

void Spool::remove(int64_t id, uint64_t size) {
    removed_.push_back(id);
    depth_ = depth_ > 0 ? depth_ - 1 : 0;
    bytes_ = bytes_ >= size ? bytes_ - size : 0;
}

Result<void> Spool::flush() {
    if (removed_.empty()) return {};
    if (!sqlite::execute(statements_->begin.get())) return sqlite_error(db_, path_, "update the spool");
    for (int64_t id : removed_) {
        if (!sqlite::execute(statements_->remove.get(), id)) {
            Error error = sqlite_error(db_, path_, "update the spool");
            sqlite::execute(statements_->rollback.get());
            return error;
        }
    }
    if (!sqlite::execute(statements_->commit.get())) {
        Error error = sqlite_error(db_, path_, "update the spool");
        sqlite::execute(statements_->rollback.get());
        return error;
    }
    removed_.clear();
    return {};
}

} // namespace ggl::iotcored
