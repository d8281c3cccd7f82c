// A single-threaded epoll event loop with timers, signals and a thread-safe post queue.
#pragma once

#include "ggl/error.hpp"
#include "ggl/fd.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace ggl {

class EventLoop {
public:
    using IoCallback = std::function<void(uint32_t events)>;
    using Callback = std::function<void()>;
    using TimerId = uint64_t;

    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Watches fd for the epoll events given (EPOLLIN, EPOLLOUT, ...). Level-triggered.
    Result<void> add_fd(int fd, uint32_t events, IoCallback callback);
    Result<void> modify_fd(int fd, uint32_t events);
    // Safe to call from inside any callback, including fd's own.
    void remove_fd(int fd);

    TimerId add_timer(std::chrono::milliseconds delay, Callback callback);
    void cancel_timer(TimerId id);

    // Runs callback on the loop thread; callable from any thread.
    void post(Callback callback);
    // Runs callback each time the loop is about to block, in the order added: work
    // batched over a turn (ggconfigd's group commit).
    void add_before_wait(Callback callback);
    // Runs callback after every before-wait callback, just before the loop blocks: output
    // that the turn's work produced (the bus server's writes) goes out in the same turn.
    void add_output_flush(Callback callback);
    // Runs callback once the loop has had nothing to do for `idle`, and again after each
    // later busy period: last in that turn, after the output flush, just before the loop
    // blocks (so what it releases is not touched again before the loop sleeps). It costs
    // a clock read per turn.
    void on_idle(std::chrono::milliseconds idle, Callback callback);
    // Blocks sig in every thread started after this call and delivers it on the loop.
    Result<void> on_signal(int sig, Callback callback);
    // A daemon's way to end: SIGTERM (systemd's stop) and SIGINT (Ctrl-C) log which one
    // came and stop the loop. Call it before starting threads, as on_signal.
    Result<void> stop_on_termination_signals();

    // Runs until stop(); returns an error only when epoll itself fails.
    Result<void> run();
    // Callable from any thread.
    void stop();
    bool in_loop_thread() const;

private:
    void wake();
    void run_posted();
    void run_due_timers();
    int next_timeout_ms() const;

    struct Watch {
        int fd;
        IoCallback callback;
    };

    UniqueFd epoll_;
    UniqueFd wake_fd_;
    UniqueFd signal_fd_;
    std::unordered_map<uint64_t, std::shared_ptr<Watch>> watches_;
    std::unordered_map<int, uint64_t> watch_by_fd_;
    uint64_t next_watch_ = 2; // 0: wake fd, 1: signal fd

    using Clock = std::chrono::steady_clock;
    std::multimap<Clock::time_point, TimerId> timer_order_;
    std::unordered_map<TimerId, std::pair<Clock::time_point, Callback>> timers_;
    TimerId next_timer_ = 1;

    std::vector<Callback> before_wait_;
    std::vector<Callback> output_flush_;
    std::vector<std::shared_ptr<Callback>> idle_due_; // on_idle callbacks due this turn
    // Callbacks run (I/O, timers, posted work, signals), and of them the idle checks':
    // a turn did work when the first grew by more than the second.
    uint64_t dispatched_ = 0;
    uint64_t idle_checks_ = 0;
    std::unordered_map<int, Callback> signal_handlers_;

    std::mutex posted_mutex_;
    std::vector<Callback> posted_;
    std::atomic<bool> stop_requested_{false};
    std::atomic<std::thread::id> loop_thread_;
};

} // namespace ggl
