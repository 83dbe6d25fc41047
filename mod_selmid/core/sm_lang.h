/* sm_lang.h: the language of mod_selmid's own pages (Japanese or English), chosen from the
 * browser's Accept-Language (RFC 9110 12.5.4) or an explicit, validated choice. */
#ifndef SM_LANG_H
#define SM_LANG_H

#include "sm_core.h"

typedef enum { SM_LANG_EN = 0, SM_LANG_JA, SM_LANG_COUNT } sm_lang_e;

/* The best of ja and en for an Accept-Language value (NULL: none sent). A range "ja" or
 * "ja-..." counts for Japanese; "en", "en-..." and "*" for English; other languages are not
 * offered and are ignored. The highest q wins, on equal q the range listed first; q=0 excludes.
 * Malformed entries are skipped. No usable entry: English. */
sm_lang_e sm_lang_negotiate(const char *accept_language);

/* "ja" / "en" (case-insensitive) as given in a query parameter; -1 for anything else. */
int sm_lang_parse(const char *s);

/* "ja" or "en" (the BCP 47 tag, for lang= and Content-Language). */
const char *sm_lang_tag(sm_lang_e lang);

#endif
