// Giving the heap's free memory back to the kernel.
#pragma once

namespace ggl {

// Returns the free pages of every malloc arena to the kernel (malloc_trim): a daemon's
// start-up and a burst of requests leave freed heap that stays resident until then.
// Daemons call it when start-up is done, before READY=1, and after each second of
// idleness (daemon::prepare). What is still allocated is untouched. Thread-safe.
void trim_heap();

} // namespace ggl
