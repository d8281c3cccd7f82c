// msgpack codec on msgpack-c, with a bounded validation pass before any allocation.
#include "ggl/msgpack.hpp"

#include <msgpack.h>

#include <cstring>
#include <unordered_set>

namespace ggl {

namespace {

int append_to_string(void* data, const char* buf, size_t len) {
    static_cast<std::string*>(data)->append(buf, len);
    return 0;
}

void pack(msgpack_packer& pk, const Object& value) {
    switch (value.type()) {
    case Type::Null: msgpack_pack_nil(&pk); break;
    case Type::Bool: value.as_bool() ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk); break;
    case Type::I64: msgpack_pack_int64(&pk, value.as_i64()); break;
    case Type::F64: msgpack_pack_double(&pk, value.as_f64()); break;
    case Type::String: {
        const auto& text = value.as_string();
        msgpack_pack_str(&pk, text.size());
        msgpack_pack_str_body(&pk, text.data(), text.size());
        break;
    }
    case Type::Bytes: {
        const auto& bytes = value.as_bytes().data;
        msgpack_pack_bin(&pk, bytes.size());
        msgpack_pack_bin_body(&pk, bytes.data(), bytes.size());
        break;
    }
    case Type::List:
        msgpack_pack_array(&pk, value.as_list().size());
        for (const auto& item : value.as_list()) {
            pack(pk, item);
        }
        break;
    case Type::Map:
        msgpack_pack_map(&pk, value.as_map().size());
        for (const auto& [key, item] : value.as_map()) {
            msgpack_pack_str(&pk, key.size());
            msgpack_pack_str_body(&pk, key.data(), key.size());
            pack(pk, item);
        }
        break;
    }
}

// Walks the encoding once without allocating, so that msgpack-c is only ever handed
// input whose every length and count is backed by bytes that are really there.
class Validator {
public:
    explicit Validator(std::string_view data)
        : begin_(reinterpret_cast<const uint8_t*>(data.data())), p_(begin_), end_(p_ + data.size()) {}

    Result<void> run() {
        // One level per open container; level 0 is the top, which holds one item.
        struct Level {
            uint64_t remaining;
            bool is_map;
        };
        Level stack[kMaxDecodeDepth + 1];
        size_t levels = 1;
        stack[0] = Level{1, false};
        for (;;) {
            while (stack[levels - 1].remaining == 0) {
                if (--levels == 0) {
                    if (p_ != end_) {
                        return fail(ErrorCode::Parse, "trailing bytes after the object");
                    }
                    return {};
                }
            }
            Level& current = stack[levels - 1];
            // Maps hold 2n items: key, value, key, value...
            bool expect_key = current.is_map && current.remaining % 2 == 0;
            --current.remaining;
            Header header;
            if (auto item = next(expect_key, header); !item) {
                return item;
            }
            if (!header.container) {
                continue;
            }
            if (levels - 1 == kMaxDecodeDepth) {
                return fail(ErrorCode::Parse, "nesting deeper than 32 levels");
            }
            // Every item takes at least one byte: a count the input cannot hold is a lie.
            if (header.children > static_cast<uint64_t>(end_ - p_)) {
                return fail(ErrorCode::Parse, "container claims more elements than the input holds");
            }
            stack[levels++] = Level{header.children, header.is_map};
        }
    }

private:
    Result<void> fail(ErrorCode code, const char* what) {
        return make_error(code, std::string("msgpack: ") + what + " (at byte " + std::to_string(offset()) + ")");
    }

    size_t offset() const { return static_cast<size_t>(p_ - begin_); }

    bool take(size_t n, const uint8_t*& out) {
        if (static_cast<size_t>(end_ - p_) < n) {
            return false;
        }
        out = p_;
        p_ += n;
        return true;
    }

    static uint64_t be(const uint8_t* b, size_t n) {
        uint64_t v = 0;
        for (size_t i = 0; i < n; ++i) {
            v = (v << 8) | b[i];
        }
        return v;
    }

    Result<void> skip_payload(uint64_t n) {
        if (n > static_cast<uint64_t>(end_ - p_)) {
            return fail(ErrorCode::Parse, "truncated input");
        }
        p_ += n;
        return {};
    }

    struct Header {
        bool container = false;
        bool is_map = false;
        uint64_t children = 0; // items that follow a container header (2 per map entry)
    };

    // Reads one item's header, and a scalar's payload.
    Result<void> next(bool expect_key, Header& header) {
        const uint8_t* h;
        if (!take(1, h)) {
            return fail(ErrorCode::Parse, "truncated input");
        }
        uint8_t t = *h;
        bool is_text =
            (t >= 0xa0 && t <= 0xbf) || t == 0xd9 || t == 0xda || t == 0xdb || t == 0xc4 || t == 0xc5 || t == 0xc6;
        if (expect_key && !is_text) {
            return fail(ErrorCode::Parse, "map key is not a string");
        }
        const uint8_t* b;
        auto sized = [&](size_t width) -> Result<void> {
            if (!take(width, b)) {
                return fail(ErrorCode::Parse, "truncated input");
            }
            return skip_payload(be(b, width));
        };
        auto container = [&](size_t width, bool map) -> Result<void> {
            if (!take(width, b)) {
                return fail(ErrorCode::Parse, "truncated input");
            }
            uint64_t n = be(b, width);
            header = Header{true, map, map ? n * 2 : n};
            return {};
        };
        if (t <= 0x7f || t >= 0xe0) {
            return {}; // fixint
        }
        if (t >= 0x80 && t <= 0x8f) {
            header = Header{true, true, uint64_t{t & 0x0fu} * 2};
            return {};
        }
        if (t >= 0x90 && t <= 0x9f) {
            header = Header{true, false, uint64_t{t & 0x0fu}};
            return {};
        }
        if (t >= 0xa0 && t <= 0xbf) {
            return skip_payload(t & 0x1fu);
        }
        switch (t) {
        case 0xc0:
        case 0xc2:
        case 0xc3: return {};
        case 0xc4:
        case 0xd9: return sized(1);
        case 0xc5:
        case 0xda: return sized(2);
        case 0xc6:
        case 0xdb: return sized(4);
        case 0xca: return skip_payload(4);
        case 0xcb: return skip_payload(8);
        case 0xcc:
        case 0xd0: return skip_payload(1);
        case 0xcd:
        case 0xd1: return skip_payload(2);
        case 0xce:
        case 0xd2: return skip_payload(4);
        case 0xd3: return skip_payload(8);
        case 0xcf: {
            if (!take(8, b)) {
                return fail(ErrorCode::Parse, "truncated input");
            }
            if (be(b, 8) > static_cast<uint64_t>(INT64_MAX)) {
                return fail(ErrorCode::Range, "unsigned integer above the i64 range");
            }
            return {};
        }
        case 0xdc: return container(2, false);
        case 0xdd: return container(4, false);
        case 0xde: return container(2, true);
        case 0xdf: return container(4, true);
        case 0xc7:
        case 0xc8:
        case 0xc9:
        case 0xd4:
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8: return fail(ErrorCode::Unsupported, "ext types are not part of the object model");
        default: return fail(ErrorCode::Parse, "reserved type byte 0xc1");
        }
    }

    const uint8_t* begin_;
    const uint8_t* p_;
    const uint8_t* end_;
};

Result<Object> convert(const msgpack_object& o) {
    switch (o.type) {
    case MSGPACK_OBJECT_NIL: return Object{};
    case MSGPACK_OBJECT_BOOLEAN: return Object{o.via.boolean};
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return Object{static_cast<int64_t>(o.via.u64)};
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return Object{o.via.i64};
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return Object{o.via.f64};
    case MSGPACK_OBJECT_STR: return Object{std::string(o.via.str.ptr, o.via.str.size)};
    case MSGPACK_OBJECT_BIN: return Object{Bytes{std::string(o.via.bin.ptr, o.via.bin.size)}};
    case MSGPACK_OBJECT_ARRAY: {
        List list;
        list.reserve(o.via.array.size);
        for (uint32_t i = 0; i < o.via.array.size; ++i) {
            auto item = convert(o.via.array.ptr[i]);
            if (!item) {
                return item;
            }
            list.push_back(std::move(*item));
        }
        return Object{std::move(list)};
    }
    case MSGPACK_OBJECT_MAP: {
        Map map;
        map.reserve(o.via.map.size);
        // Small maps (nearly all) check duplicates by scanning; large ones use a set.
        constexpr uint32_t kScanLimit = 16;
        std::unordered_set<std::string_view> seen;
        for (uint32_t i = 0; i < o.via.map.size; ++i) {
            const auto& kv = o.via.map.ptr[i];
            std::string_view key = kv.key.type == MSGPACK_OBJECT_STR
                                       ? std::string_view(kv.key.via.str.ptr, kv.key.via.str.size)
                                       : std::string_view(kv.key.via.bin.ptr, kv.key.via.bin.size);
            bool duplicate = o.via.map.size <= kScanLimit ? map.contains(key) : !seen.insert(key).second;
            if (duplicate) {
                return make_error(ErrorCode::Parse,
                                  "msgpack: duplicate map key \"" + std::string(key.substr(0, 64)) + "\"");
            }
            auto value = convert(kv.val);
            if (!value) {
                return value;
            }
            map.append(std::string(key), std::move(*value));
        }
        return Object{std::move(map)};
    }
    default: return make_error(ErrorCode::Unsupported, "msgpack: ext types are not part of the object model");
    }
}

} // namespace

void msgpack_append(const Object& value, std::string& out) {
    msgpack_packer pk;
    msgpack_packer_init(&pk, &out, append_to_string);
    pack(pk, value);
}

void msgpack_append(const Map& value, std::string& out) {
    msgpack_packer pk;
    msgpack_packer_init(&pk, &out, append_to_string);
    msgpack_pack_map(&pk, value.size());
    for (const auto& [key, item] : value) {
        msgpack_pack_str(&pk, key.size());
        msgpack_pack_str_body(&pk, key.data(), key.size());
        pack(pk, item);
    }
}

std::string msgpack_encode(const Object& value) {
    std::string out;
    msgpack_append(value, out);
    return out;
}

Result<Object> msgpack_decode(std::string_view data) {
    if (auto valid = Validator(data).run(); !valid) {
        return std::move(valid).error();
    }
    // One zone per thread, cleared after each decode: no allocation per frame once warm.
    struct Zone {
        msgpack_zone zone;
        bool ready;
        Zone() : ready(msgpack_zone_init(&zone, 8192)) {}
        ~Zone() {
            if (ready) {
                msgpack_zone_destroy(&zone);
            }
        }
    };
    thread_local Zone scratch;
    if (!scratch.ready) {
        return make_error(ErrorCode::Nomem, "msgpack: out of memory");
    }
    msgpack_object root;
    size_t offset = 0;
    auto status = msgpack_unpack(data.data(), data.size(), &offset, &scratch.zone, &root);
    Result<Object> result = make_error(ErrorCode::Parse, "msgpack: malformed input");
    if (status == MSGPACK_UNPACK_SUCCESS && offset == data.size()) {
        result = convert(root);
    } else if (status == MSGPACK_UNPACK_NOMEM_ERROR) {
        result = make_error(ErrorCode::Nomem, "msgpack: out of memory");
    }
    msgpack_zone_clear(&scratch.zone);
    return result;
}

} // namespace ggl
