#include "CRprocShims.h"
