// libjpeg-turbo, libpng and zlib (Debian libjpeg62-turbo-dev, libpng-dev, zlib1g-dev).
#include <stdio.h>
#include <jpeglib.h>
#include <png.h>
#include <zlib.h>
