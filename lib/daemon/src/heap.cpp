// Giving the heap's free memory back to the kernel (heap.hpp).
#include "ggl/heap.hpp"

#include <malloc.h>

namespace ggl {

void trim_heap() { ::malloc_trim(0); }

} // namespace ggl
