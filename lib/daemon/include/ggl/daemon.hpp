// The parts of a daemon's life that every ggl daemon shares.
#pragma once

#include "ggl/event_loop.hpp"

namespace ggl::daemon {

// The loop's set-up, before anything starts a thread: the heap's free memory goes back to
// the kernel after each second of idleness (trim_heap), and SIGTERM (systemd's stop) and
// SIGINT end the loop. False, logged, when the signals cannot be handled.
bool prepare(EventLoop& loop);

// Start-up is done: the heap start-up freed goes back to the kernel (trim_heap), systemd
// is told READY=1, the loop runs until stopped, and systemd is told STOPPING=1. False,
// logged, when the loop failed.
bool serve(EventLoop& loop);

} // namespace ggl::daemon
