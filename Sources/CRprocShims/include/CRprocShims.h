// CRprocShims: the only hand-written C in rprocd. See docs/ARCHITECTURE.md ("C interop").
#pragma once
