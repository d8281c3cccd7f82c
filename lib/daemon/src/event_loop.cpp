// The epoll event loop shared by every daemon.
#include "ggl/event_loop.hpp"

#include "ggl/log.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace ggl {

namespace {
constexpr uint64_t kWakeWatch = 0;
constexpr uint64_t kSignalWatch = 1;

Error errno_error(const char* what) {
    return make_error(ErrorCode::Failure, std::string(what) + ": " + std::strerror(errno));
}
} // namespace

EventLoop::EventLoop() : epoll_(epoll_create1(EPOLL_CLOEXEC)), wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!epoll_ || !wake_fd_) {
        // Only fails when the process is out of file descriptors; nothing can run.
        std::abort();
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeWatch;
    epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_fd_.get(), &ev);
    loop_thread_ = std::this_thread::get_id();
}

EventLoop::~EventLoop() = default;

Result<void> EventLoop::add_fd(int fd, uint32_t events, IoCallback callback) {
    uint64_t id = next_watch_++;
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = id;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
        return errno_error("epoll_ctl(ADD)");
    }
    watches_[id] = std::make_shared<Watch>(Watch{fd, std::move(callback)});
    watch_by_fd_[fd] = id;
    return {};
}

Result<void> EventLoop::modify_fd(int fd, uint32_t events) {
    auto it = watch_by_fd_.find(fd);
    if (it == watch_by_fd_.end()) {
        return make_error(ErrorCode::Noentry, "fd is not watched");
    }
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = it->second;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) {
        return errno_error("epoll_ctl(MOD)");
    }
    return {};
}

void EventLoop::remove_fd(int fd) {
    auto it = watch_by_fd_.find(fd);
    if (it == watch_by_fd_.end()) {
        return;
    }
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
    // Events already fetched for this watch find no entry and are skipped.
    watches_.erase(it->second);
    watch_by_fd_.erase(it);
}

EventLoop::TimerId EventLoop::add_timer(std::chrono::milliseconds delay, Callback callback) {
    TimerId id = next_timer_++;
    auto when = Clock::now() + delay;
    timer_order_.emplace(when, id);
    timers_.emplace(id, std::make_pair(when, std::move(callback)));
    return id;
}

void EventLoop::cancel_timer(TimerId id) {
    auto it = timers_.find(id);
    if (it == timers_.end()) {
        return;
    }
    auto range = timer_order_.equal_range(it->second.first);
    for (auto order = range.first; order != range.second; ++order) {
        if (order->second == id) {
            timer_order_.erase(order);
            break;
        }
    }
    timers_.erase(it);
}

void EventLoop::post(Callback callback) {
    bool was_empty;
    {
        std::lock_guard lock(posted_mutex_);
        was_empty = posted_.empty();
        posted_.push_back(std::move(callback));
    }
    if (was_empty) {
        wake();
    }
}

void EventLoop::add_before_wait(Callback callback) { before_wait_.push_back(std::move(callback)); }

void EventLoop::add_output_flush(Callback callback) { output_flush_.push_back(std::move(callback)); }

void EventLoop::on_idle(std::chrono::milliseconds idle, Callback callback) {
    struct State {
        Clock::time_point last_busy;
        bool armed = false;
        // dispatched_ - idle_checks_ at the last busy turn (none yet: the first is busy)
        uint64_t work_seen = UINT64_MAX;
    };
    auto state = std::make_shared<State>();
    auto check = std::make_shared<Callback>();
    auto due = std::make_shared<Callback>(std::move(callback));
    // The check is a timer, so it is dispatched too; it counts itself out, so that the
    // turn it runs in is not taken for work (which would keep it re-arming forever) while
    // other work in that same turn still is.
    *check = [this, state, check_weak = std::weak_ptr<Callback>(check), idle, due] {
        ++idle_checks_;
        // Work that ran earlier in this same turn makes the loop busy now.
        bool worked_this_turn = dispatched_ - idle_checks_ != state->work_seen;
        auto since = worked_this_turn ? Clock::duration::zero() : Clock::now() - state->last_busy;
        if (since < idle) {
            if (auto again = check_weak.lock()) {
                add_timer(std::chrono::ceil<std::chrono::milliseconds>(idle - since), [again] { (*again)(); });
            }
            return;
        }
        state->armed = false;
        idle_due_.push_back(due); // run last in the turn, just before the loop blocks
    };
    add_before_wait([this, state, check, idle] {
        uint64_t work = dispatched_ - idle_checks_;
        if (work == state->work_seen) {
            return; // nothing but idle checks ran since the last turn
        }
        state->work_seen = work;
        state->last_busy = Clock::now();
        if (!state->armed) {
            state->armed = true;
            add_timer(idle, [check] { (*check)(); });
        }
    });
}

Result<void> EventLoop::stop_on_termination_signals() {
    for (int sig : {SIGTERM, SIGINT}) {
        if (auto handled = on_signal(sig,
                                     [this, sig] {
                                         GGL_LOGI("stopping on %s", sigabbrev_np(sig));
                                         stop();
                                     });
            !handled) {
            return handled;
        }
    }
    return {};
}

Result<void> EventLoop::on_signal(int sig, Callback callback) {
    sigset_t mask;
    sigemptyset(&mask);
    for (const auto& [known, unused] : signal_handlers_) {
        sigaddset(&mask, known);
    }
    sigaddset(&mask, sig);
    if (pthread_sigmask(SIG_BLOCK, &mask, nullptr) != 0) {
        return errno_error("pthread_sigmask");
    }
    bool first = !signal_fd_;
    int fd = signalfd(first ? -1 : signal_fd_.get(), &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0) {
        return errno_error("signalfd");
    }
    if (first) {
        signal_fd_.reset(fd);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = kSignalWatch;
        if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
            return errno_error("epoll_ctl(ADD signalfd)");
        }
    }
    signal_handlers_[sig] = std::move(callback);
    return {};
}

void EventLoop::stop() {
    stop_requested_ = true;
    wake();
}

bool EventLoop::in_loop_thread() const { return std::this_thread::get_id() == loop_thread_; }

void EventLoop::wake() {
    uint64_t one = 1;
    // A full counter still wakes the loop; nothing to do on EAGAIN.
    ssize_t written = ::write(wake_fd_.get(), &one, sizeof one);
    (void)written;
}

void EventLoop::run_posted() {
    std::vector<Callback> batch;
    {
        std::lock_guard lock(posted_mutex_);
        batch.swap(posted_);
    }
    for (auto& callback : batch) {
        ++dispatched_;
        callback();
    }
}

void EventLoop::run_due_timers() {
    auto now = Clock::now();
    while (!timer_order_.empty() && timer_order_.begin()->first <= now) {
        TimerId id = timer_order_.begin()->second;
        timer_order_.erase(timer_order_.begin());
        auto it = timers_.find(id);
        if (it == timers_.end()) {
            continue;
        }
        Callback callback = std::move(it->second.second);
        timers_.erase(it);
        ++dispatched_;
        callback();
    }
}

int EventLoop::next_timeout_ms() const {
    if (timer_order_.empty()) {
        return -1;
    }
    auto delta = timer_order_.begin()->first - Clock::now();
    if (delta <= Clock::duration::zero()) {
        return 0;
    }
    // Round up so a timer never fires early and the loop never spins on 0 ms.
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(delta).count();
    return ms > INT32_MAX ? INT32_MAX : static_cast<int>(ms);
}

Result<void> EventLoop::run() {
    loop_thread_ = std::this_thread::get_id();
    constexpr int kBatch = 64;
    epoll_event events[kBatch];
    for (;;) {
        if (stop_requested_.exchange(false)) {
            return {};
        }
        for (auto& callback : before_wait_) {
            callback();
        }
        for (auto& callback : output_flush_) {
            callback();
        }
        for (auto& callback : idle_due_) {
            (*callback)();
        }
        idle_due_.clear();
        int n = epoll_wait(epoll_.get(), events, kBatch, next_timeout_ms());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno_error("epoll_wait");
        }
        for (int i = 0; i < n; ++i) {
            uint64_t id = events[i].data.u64;
            if (id == kWakeWatch) {
                uint64_t count;
                ssize_t got = ::read(wake_fd_.get(), &count, sizeof count);
                (void)got;
                run_posted();
                continue;
            }
            if (id == kSignalWatch) {
                signalfd_siginfo info;
                while (::read(signal_fd_.get(), &info, sizeof info) == sizeof info) {
                    auto handler = signal_handlers_.find(static_cast<int>(info.ssi_signo));
                    if (handler != signal_handlers_.end()) {
                        ++dispatched_;
                        handler->second();
                    }
                }
                continue;
            }
            auto it = watches_.find(id);
            if (it == watches_.end()) {
                continue;
            }
            // Hold the watch so a callback may remove itself safely.
            auto watch = it->second;
            ++dispatched_;
            watch->callback(events[i].events);
        }
        run_due_timers();
    }
}

} // namespace ggl
