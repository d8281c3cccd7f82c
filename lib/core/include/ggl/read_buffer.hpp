// The read buffer of a stream decoder: a std::string whose bytes [begin, end) are read and
// not yet consumed (bus_protocol's FrameReader, event_stream's StreamDecoder).
#pragma once

#include <cstddef>
#include <cstring>
#include <string>

namespace ggl {

// Moves the unconsumed bytes [begin, end) to the front of buffer.
inline void move_unconsumed_to_front(std::string& buffer, size_t& begin, size_t& end) {
    std::memmove(buffer.data(), buffer.data() + begin, end - begin);
    end -= begin;
    begin = 0;
}

// Where at least min_space bytes can be written after end, growing buffer when it is short.
inline char* space_after(std::string& buffer, size_t end, size_t min_space) {
    if (buffer.size() - end < min_space) {
        buffer.resize(end + min_space);
    }
    return buffer.data() + end;
}

} // namespace ggl
