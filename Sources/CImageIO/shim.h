// libjpeg-turbo's TurboJPEG API, libpng and zlib (Debian libturbojpeg0-dev, libpng-dev,
// zlib1g-dev). TurboJPEG and libpng's simplified API report errors by return value, so
// Swift never has to survive libjpeg's longjmp-based error exit.
#include <turbojpeg.h>
#include <png.h>
#include <zlib.h>
