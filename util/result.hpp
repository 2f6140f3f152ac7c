// Errors as values at API edges. g++ 12 has no std::expected in C++20, so this
// is the small subset we use: a value or an Error that carries the errno and a
// sentence saying what was attempted.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <variant>

namespace udefio {

struct Error {
    int code = 0;          // errno value, 0 when the error is not a syscall failure
    std::string what;      // what was attempted, e.g. "memfd_create(udefio-frame)"

    std::string message() const
    {
        if (code == 0)
            return what;
        return what + ": " + std::strerror(code);
    }
};

// Builds an Error from the current errno.
inline Error errno_error(std::string what) { return Error{errno, std::move(what)}; }
inline Error plain_error(std::string what) { return Error{0, std::move(what)}; }

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const T& value() const& { return std::get<0>(v_); }
    T* operator->() { return &value(); }
    T& operator*() & { return value(); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { return error_; }

private:
    Error error_;
    bool ok_ = true;
};

}  // namespace udefio
