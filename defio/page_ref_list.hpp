// The pages to flush: each page listed once ("already listed" is O(1) through
// PageRef::listed), handed to the sink sorted by offset like the kernel's
// pagereflist. Not thread-safe: the owner's lock guards it.
#pragma once

#include <span>
#include <vector>

#include "defio/page_ref.hpp"

namespace udefio {

class PageRefList {
public:
    // Returns false if the page was already listed.
    bool add(PageRef& ref);
    // The listed pages, sorted by offset (sorting happens here, once per flush).
    std::span<PageRef* const> sorted();
    // Unlists every page.
    void clear();

    size_t size() const { return refs_.size(); }
    bool empty() const { return refs_.empty(); }

private:
    std::vector<PageRef*> refs_;
    bool is_sorted_ = true;
};

}  // namespace udefio
