// Debian's libxml2 is built with ICU, and its encoding header then pulls in the system ICU
// headers, which clash with the ICU that Foundation carries. The ICU converter fields are only
// reached through pointers we never touch, so the headers are read without ICU.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
