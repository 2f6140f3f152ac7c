// The fake compositor's insides, shared by its state keeping
// (fake_compositor.cpp) and its protocol handlers (fake_protocol.cpp).
#pragma once

#include <wayland-server.h>

#include <condition_variable>
#include <list>
#include <map>
#include <mutex>
#include <thread>

#include "util/unique_fd.hpp"
#include "tests/wayland/fake_compositor.hpp"

namespace udefio::test {

struct FakeCompositor::Impl {
    // A buffer the compositor holds, until it releases it or the client destroys it.
    struct Held {
        wl_listener destroyed;  // first: wl_container_of needs a standard-layout struct
        Impl* impl;
        wl_resource* buffer;
    };

    explicit Impl(FakeOptions o) : options(o) {}

    // Test thread: runs `fn` on the compositor thread and waits for it.
    void run(std::function<void()> fn);
    static int on_command(int fd, uint32_t mask, void* data);
    void serve();  // the compositor thread

    // Compositor thread.
    void install_globals();  // fake_protocol.cpp
    void send_configure(uint32_t width, uint32_t height);
    void commit();
    void answer_frames();
    void check_held();
    void hold(wl_resource* buffer, std::vector<uint32_t> pixels);
    void release(std::list<Held>::iterator it);
    void forget(std::list<Held>::iterator it);
    template <class F>
    void update(F f)
    {
        {
            std::lock_guard lock(mutex);
            f(state);
        }
        changed.notify_all();
    }

    const FakeOptions options;
    wl_display* display = wl_display_create();
    UniqueFd commands;
    std::thread thread;

    std::mutex command_mutex;  // protects command; taken by run() (test thread) and the compositor thread
    std::function<void()> command;

    mutable std::mutex mutex;  // protects state; taken by the compositor thread and the test's readers
    mutable std::condition_variable changed;
    FakeState state;

    // Compositor thread only.
    bool stopping = false;
    wl_resource* surface = nullptr;
    wl_resource* xdg_surface = nullptr;
    wl_resource* toplevel = nullptr;
    wl_resource* attached = nullptr;  // until the commit (udefio never destroys a buffer in between)
    std::vector<Rect> damage;
    int32_t pending_transform = 0;  // wl_surface.set_buffer_transform: each commit takes it
    std::vector<wl_resource*> frame_callbacks;
    std::list<Held> held;  // the last one is on screen
    std::map<wl_resource*, std::vector<uint32_t>> held_pixels;
    uint32_t serial = 0;
    uint32_t acked = 0;
    bool configured = false;
};

}  // namespace udefio::test
