// The CBLAS interface of Debian's OpenBLAS (libopenblas-dev), plus its thread-count controls.
#include <cblas.h>
