// What a daemon hands back to the kernel when it has nothing to do.
#pragma once

namespace ggl {

// Unmaps the pages of every read-only private file mapping that holds no page of its
// own: the code and read-only data of the executable and of every shared library (ld.so's
// included), which the process faulted in (and the kernel's fault-around, 64 KiB at a
// time, with them). The pages stay in the page cache, where the kernel can reclaim them
// under pressure without touching the process: what it runs next is mapped again at its
// first use, without I/O (a minor fault per 64 KiB). A mapping with any page the process
// has written (relocated data, RELRO: counted as Anonymous) is left whole, so nothing
// that differs from its file is ever dropped.
void release_clean_file_pages();

// Free heap back to the kernel (malloc_trim, every arena) and the clean file pages
// released (above). Daemons call it when start-up is done, before READY=1, so code only
// start-up ran does not stay resident (as a kernel frees its init sections after boot),
// and again after each second of idleness (daemon::prepare). Thread-safe.
void release_idle_memory();

} // namespace ggl
