#include "backends/damage_ring.hpp"

namespace udefio {

DamageRing::DamageRing(size_t buffers, const Rect& size) : missed_(buffers)
{
    for (Damage& d : missed_)
        d.add(size);
}

Damage DamageRing::for_buffer(size_t i, const Damage& frame) const
{
    Damage todo = frame;
    todo.add(missed_[i]);
    return todo;
}

void DamageRing::rendered(size_t i, const Damage& frame)
{
    for (size_t j = 0; j < missed_.size(); ++j) {
        if (j == i)
            missed_[j].clear();
        else
            missed_[j].add(frame);
    }
}

void DamageRing::missed(size_t i, const Damage& damage) { missed_[i].add(damage); }

}  // namespace udefio
