#pragma once
/// MINI_TIMING=1 in the environment: each TimingMark prints the time since the previous mark
/// (in this process; a cloned child inherits the last mark) to stderr, so that one can see
/// where the milliseconds of `mini run` go. Costs one getenv when disabled.
namespace mini {

void TimingMark(const char* step);

}  // namespace mini
