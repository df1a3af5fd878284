// libfuse3 (Debian: libfuse3-dev), for the virtual board only. The API level must be set
// before the header is included, so it lives here rather than in Swift build settings.
#define FUSE_USE_VERSION 35
#include <fuse.h>
#include <fuse_lowlevel.h>
