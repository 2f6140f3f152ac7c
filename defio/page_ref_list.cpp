#include "defio/page_ref_list.hpp"

#include <algorithm>

namespace udefio {

bool PageRefList::add(PageRef& ref)
{
    if (ref.listed)
        return false;
    ref.listed = true;
    if (!refs_.empty() && refs_.back()->index > ref.index)
        is_sorted_ = false;
    refs_.push_back(&ref);
    return true;
}

std::span<PageRef* const> PageRefList::sorted()
{
    if (!is_sorted_) {
        std::sort(refs_.begin(), refs_.end(),
                  [](const PageRef* a, const PageRef* b) { return a->index < b->index; });
        is_sorted_ = true;
    }
    return refs_;
}

void PageRefList::clear()
{
    for (PageRef* ref : refs_)
        ref->listed = false;
    refs_.clear();
    is_sorted_ = true;
}

}  // namespace udefio
