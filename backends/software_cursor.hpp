// The pointer udefio draws itself (--cursor): an arrow composed over the
// frame by the flush copy of the output it is on (backends/frame_copy.hpp),
// never written into the frame, so the clients' pixels under it stay
// theirs. Moving it damages where it was and where it goes; whoever moves
// it adds that damage to the outputs' frames, and their next flush redraws
// both places, from the frame and with the arrow over it.
#pragma once

#include <mutex>
#include <vector>

#include "util/rect.hpp"
#include "util/transform.hpp"

namespace udefio {

class Output;

class SoftwareCursor {
public:
    // The arrow's size; its hot spot is its tip, the top-left pixel.
    static constexpr int32_t kWidth = 12;
    static constexpr int32_t kHeight = 19;

    struct Damaged {
        const Output* output = nullptr;
        Rect rect;  // logical pixels of that output
    };

    // Shows the arrow on `output` with its tip at `tip` (logical pixels,
    // inside the output), or hides it (`output` null). Returns what each
    // output must redraw: where the arrow was and where it is now (nothing
    // when it did not move). The identity of `output` is all that is kept:
    // place it elsewhere before that output goes. Any thread.
    std::vector<Damaged> place(const Output* output, PointF tip);
    const Output* output() const;

    // Draws the part of the arrow inside `logical` (a rectangle of the frame
    // just copied into the buffer) if the arrow is on `output`. `buffer` is
    // how the buffer holds the frame: the panel and the transform the copy
    // applies (normal: the buffer holds the logical picture). The flush
    // worker, in the output's flush.
    void compose(const Output& output, std::byte* dst, size_t pitch, const Rect& logical,
                 const OutputGeometry& buffer) const;

private:
    // Protects output_ and rect_. Taken by place() (the loop thread) and
    // compose() (a flush worker, under its state lock and its output's
    // lock); a leaf: nothing is called while holding it.
    mutable std::mutex mutex_;
    const Output* output_ = nullptr;
    Rect rect_;  // the arrow's whole image, where it is (not clipped to the output)
};

}  // namespace udefio
