// A bound on the memory udefio spends on its clients' behalf, shared by all
// of them: the shadows that damage-less commits are compared against (a
// lease's size each). A holder reserves before it allocates and gives the
// reservation back when it goes. Loop thread only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <utility>

namespace udefio {

class MemoryBudget {
public:
    class Reservation {
    public:
        Reservation(Reservation&& other) noexcept
            : budget_(std::exchange(other.budget_, nullptr)), bytes_(other.bytes_)
        {
        }
        Reservation& operator=(Reservation&& other) noexcept
        {
            std::swap(budget_, other.budget_);
            std::swap(bytes_, other.bytes_);
            return *this;
        }
        ~Reservation()
        {
            if (budget_)
                budget_->used_ -= bytes_;
        }

    private:
        friend class MemoryBudget;
        Reservation(MemoryBudget* budget, size_t bytes) : budget_(budget), bytes_(bytes) {}
        MemoryBudget* budget_;
        size_t bytes_;
    };

    explicit MemoryBudget(size_t limit) : limit_(limit) {}
    MemoryBudget(const MemoryBudget&) = delete;
    MemoryBudget& operator=(const MemoryBudget&) = delete;

    // nullopt if `bytes` more would pass the limit. The budget outlives its reservations.
    std::optional<Reservation> reserve(size_t bytes)
    {
        if (bytes > limit_ - std::min(used_, limit_))
            return std::nullopt;
        used_ += bytes;
        return Reservation(this, bytes);
    }
    size_t used() const { return used_; }
    size_t limit() const { return limit_; }
    void set_limit(size_t limit) { limit_ = limit; }

private:
    size_t limit_;
    size_t used_ = 0;
};

}  // namespace udefio
