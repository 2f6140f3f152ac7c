// A weak handle on an object for callbacks that may run after it is gone: a
// callback posted to the event loop, or one the kernel delivers later. The
// object holds a WeakSelf member (declared after everything the callbacks
// use, so it goes first); bind() wraps a function of the object into one that
// does nothing once the object is destroyed. The callbacks must run on the
// thread that destroys the object (the loop thread), so that the object
// cannot go away while one runs.
#pragma once

#include <memory>
#include <utility>

namespace udefio {

template <class T>
class WeakSelf {
public:
    explicit WeakSelf(T& self) : cell_(std::make_shared<T*>(&self)) {}
    WeakSelf(const WeakSelf&) = delete;
    WeakSelf& operator=(const WeakSelf&) = delete;

    // `fn(T&, args...)`, or nothing once the object is gone.
    template <class F>
    auto bind(F fn) const
    {
        return [weak = std::weak_ptr<T*>(cell_), fn = std::move(fn)](auto&&... args) {
            if (auto self = weak.lock())
                fn(**self, std::forward<decltype(args)>(args)...);
        };
    }

private:
    std::shared_ptr<T*> cell_;
};

}  // namespace udefio
