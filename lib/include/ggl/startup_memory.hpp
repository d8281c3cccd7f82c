// What a daemon's start-up leaves resident, handed back before it reports ready.
#pragma once

namespace ggl {

// The heap start-up freed goes back to the kernel (malloc_trim), and the executable's
// code is unmapped, so that code only start-up ran (option parsing, configuration
// loading, set-up) does not stay resident for the daemon's life, as a kernel frees its
// init sections after boot. The pages stay in the page cache: what serving runs is
// mapped again at its first use, without I/O. Only the executable's read-only code
// mappings are released: they are never written, so nothing is lost (unlike relocated
// data, which this must not touch). Call it once, on the main thread, before READY=1.
void release_startup_memory();

} // namespace ggl
